"""The fake X's app-only endpoints: the bearer token, and recent post counts (`x.FakeX`).

Recent post counts, as X serves them: app-only authentication only (the bearer token that
`POST /oauth2/token` gives for the consumer key and secret in HTTP Basic; a user-context OAuth
1.0a request gets X's 403 "unsupported-authentication"); `start_time` no older than seven days
and `end_time` at least ten seconds old; day buckets cut at midnight UTC (the first and last
may be partial, as X's are). The query's quoted phrases are matched as whole words, ignoring
case, against every post the fake knows (the account's and `add_public_post`'s), and
`-is:retweet` leaves retweets out. `counts_available=False` plays an access tier without the
endpoint: 403 "client-forbidden".
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .server import Fault, Reply, Request
from .x_billing import Bill
from .x_common import APP_BEARER, CREDENTIALS, problem

if TYPE_CHECKING:
    from .x import XPost

__all__ = ["AppOnlyEndpoints"]

_PHRASE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_TIER = (
    "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints "
    "(e.g. media post, oauth) only. If you need access to this endpoint, you may need a "
    "different access level. You can learn more here: https://developer.x.com/en/portal/product"
)


class AppOnlyEndpoints:
    """`POST /oauth2/token` and `GET /2/tweets/counts/recent`, mixed into `FakeX` (which holds
    the state they read and registers their routes)."""

    clock: Callable[[], datetime]
    posts: dict[str, XPost]
    public: list[tuple[datetime, str, bool]]
    revoked: bool
    counts_available: bool
    bill: Bill
    blocked: Fault | None
    _lock: threading.Lock

    def _refusal(self) -> Reply | None:
        return self.blocked.reply if self.blocked is not None else None

    @staticmethod
    def _raw(post: XPost) -> str:
        """The post's text as it was sent, its t.co links expanded back."""
        text = post.text
        for u in post.urls:
            text = text.replace(u["url"], u["expanded_url"], 1)
        return text

    def _app_token(self, request: Request) -> Reply:
        """OAuth 2.0 client credentials: the consumer key and secret, URL-encoded, in Basic."""
        error = {"code": 99, "message": "Unable to verify your credentials"}
        refused = Reply(403, {"errors": [{**error, "label": "authenticity_token_error"}]})
        auth = request.headers.get("authorization", "")
        try:
            key, _, secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            return refused
        expected = (CREDENTIALS["consumer_key"], CREDENTIALS["consumer_secret"])
        if (
            self.revoked
            or not auth.startswith("Basic ")
            or (unquote(key), unquote(secret)) != expected
        ):
            return refused
        if request.form.get("grant_type") != "client_credentials":
            return Reply(
                400,
                {"errors": [{"code": 170, "message": "Missing required parameter: grant_type"}]},
            )
        return Reply(200, {"token_type": "bearer", "access_token": APP_BEARER})

    def _counts(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        if auth.startswith("OAuth "):
            return problem(
                403,
                "Unsupported Authentication",
                "Authenticating with OAuth 1.0a User Context is forbidden for this endpoint.  "
                "Supported authentication types are [OAuth 2.0 Application-Only].",
                "https://api.twitter.com/2/problems/unsupported-authentication",
            )
        if auth != f"Bearer {APP_BEARER}" or self.revoked:
            return problem(401, "Unauthorized", "Unauthorized")
        if refusal := self._refusal():
            return refusal
        if not self.counts_available:
            body = {
                "client_id": "12345678",
                "detail": _TIER,
                "registration_url": "https://developer.x.com/en/portal/product",
                "title": "Client Forbidden",
                "required_enrollment": "Appropriate Level of API Access",
                "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden",
            }
            return Reply(403, body)
        now = self.clock()
        query = request.arg("query") or ""
        phrases = [p.replace('\\"', '"') for p in _PHRASE.findall(query)]
        start = _when(request.arg("start_time")) or now - timedelta(days=7)
        end = _when(request.arg("end_time")) or now - timedelta(seconds=30)
        invalid = None
        if not phrases or len(query) > 512:
            invalid = f"Invalid query: {query!r}"
        elif request.arg("granularity", "hour") != "day":
            invalid = "this fake counts by day only"
        elif start < now - timedelta(days=7):
            invalid = f"Invalid 'start_time':'{request.arg('start_time')}'. 'start_time' must be on or after {now - timedelta(days=7):%Y-%m-%dT%H:%MZ}"
        elif end > now - timedelta(seconds=10) or end <= start:
            invalid = f"Invalid 'end_time':'{request.arg('end_time')}'. 'end_time' must be a minimum of 10 seconds prior to the request time."
        if invalid is not None:
            return problem(400, "Invalid Request", invalid)
        pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)", re.I
        )
        with self._lock:
            posts = [(p.created_at, self._raw(p), False) for p in self.posts.values()]
            posts += self.public
        skip_retweets = "-is:retweet" in query
        data = []
        cut = start
        while cut < end:
            following = min(datetime.combine(cut.date() + timedelta(days=1), time(), UTC), end)
            n = sum(
                1
                for at, text, retweet in posts
                if cut <= at < following
                and pattern.search(text)
                and not (retweet and skip_retweets)
            )
            data.append({"end": _stamp(following), "start": _stamp(cut), "tweet_count": n})
            cut = following
        total = sum(d["tweet_count"] for d in data)
        self.bill.request("Counts: Recent")
        return Reply(200, {"data": data, "meta": {"total_tweet_count": total}})


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
