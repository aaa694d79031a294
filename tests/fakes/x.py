"""A fake X API v2 on a `FakeServer`: the endpoints the X adapter uses, with X's bodies.

    POST /2/tweets             -> 201 {"data": {"id", "text", "edit_history_tweet_ids"}}
    GET  /2/users/me           -> {"data": {"id", "name", "username"[, "public_metrics"]}}
    GET  /2/users/:id/tweets   -> {"data": [...], "meta": {"result_count", "next_token"?}}
    GET  /2/tweets?ids=...     -> {"data": [...], "errors": [...]} (partial errors, HTTP 200)
    POST /oauth2/token         -> {"token_type": "bearer", "access_token"} (app-only auth)
    GET  /2/tweets/counts/recent -> {"data": [{"start", "end", "tweet_count"}],
                                     "meta": {"total_tweet_count"}}

Errors follow X's problem format: `{"title", "detail", "type", "status"}`; partial errors in a
200 carry `value`, `resource_type`, `parameter`. Duplicate text -> 403 "You are not allowed to
create a Tweet with duplicate content." (unless `refuse_duplicates=False`, so that a test can
count a second post); more than 100 ids -> 400.

The timeline is eventually consistent, like X's: with `timeline_lag`, a post appears in
`GET /2/users/:id/tweets` only that long (by the fake's clock) after it was created.

Every request must carry a valid OAuth 1.0a HMAC-SHA1 signature for the fake's consumer and
token (verified with oauthlib against the URL the fake was actually called on, so a client that
signs one host and sends to another fails here as it would at X). `revoke()` makes the token
invalid: 401. Ids are snowflakes made from the fake's clock, as X's are, and links in a post
are wrapped in t.co links with the original in `entities.urls[].expanded_url`.

Post metrics are named as X's current payloads name them (`repost_count`); `legacy_metrics=True`
plays older payloads (`retweet_count`). `private_metrics=False` plays credentials that may not
read non-public metrics: such requests get a "Field Authorization Error" per post (as do posts
over 30 days old). Faults: `rate_limited(reset)`, `server_error(status)` with `server.fault`.

Billing (`x_billing`): `bill` counts what X would charge; `blocked = payment_required()` (or
`usage_capped()`) answers every signed request so until it is set back to None.

The app-only endpoints (`POST /oauth2/token`, `GET /2/tweets/counts/recent`) are in `x_app`;
the credentials and X's problem body, which both use, in `x_common`.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature

from .server import FakeServer, Fault, Reply, Request
from .x_app import AppOnlyEndpoints
from .x_billing import Bill
from .x_common import APP_BEARER, CREDENTIALS, problem

__all__ = ["APP_BEARER", "CREDENTIALS", "FakeX", "XPost", "rate_limited", "server_error"]

_EPOCH_MS = 1288834974657
_URL = re.compile(r"https?://\S+")
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."


def rate_limited(reset_at: datetime | None) -> Fault:
    """A 429 as X sends it, with `x-rate-limit-reset` (epoch seconds) unless `reset_at` is None."""
    headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0"}
    if reset_at is not None:
        headers["x-rate-limit-reset"] = str(int(reset_at.timestamp()))
    return Fault.respond(429, problem(429, "Too Many Requests", "Too Many Requests").body, headers)


def server_error(status: int = 503) -> Fault:
    title = {500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Server Error")
    return Fault.respond(
        status, {"title": title, "detail": title, "type": "about:blank", "status": status}
    )


@dataclass
class XPost:
    id: str
    text: str
    created_at: datetime
    author_id: str
    urls: list[dict[str, Any]] = field(default_factory=list)
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    bookmarks: int = 0
    impressions: int = 0
    link_clicks: int = 0
    profile_clicks: int = 0

    def as_json(self, fields: set[str], *, private: bool, legacy: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "edit_history_tweet_ids": [self.id],
        }
        if "created_at" in fields:
            out["created_at"] = self.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if "author_id" in fields:
            out["author_id"] = self.author_id
        if "entities" in fields and self.urls:
            out["entities"] = {"urls": self.urls}
        if "public_metrics" in fields:
            out["public_metrics"] = {
                "retweet_count" if legacy else "repost_count": self.reposts,
                "reply_count": self.replies,
                "like_count": self.likes,
                "quote_count": self.quotes,
                "bookmark_count": self.bookmarks,
                "impression_count": self.impressions,
            }
        if private and "non_public_metrics" in fields:
            out["non_public_metrics"] = {
                "impression_count": self.impressions,
                "url_link_clicks": self.link_clicks,
                "user_profile_clicks": self.profile_clicks,
            }
        if private and "organic_metrics" in fields:
            out["organic_metrics"] = {
                "impression_count": self.impressions,
                "like_count": self.likes,
                "reply_count": self.replies,
                "retweet_count": self.reposts,
                "url_link_clicks": self.link_clicks,
                "user_profile_clicks": self.profile_clicks,
            }
        return out


class FakeX(AppOnlyEndpoints):
    """X's API for one account, on `server` (routes registered at construction)."""

    def __init__(
        self,
        server: FakeServer,
        *,
        clock: Callable[[], datetime] | None = None,
        username: str = "xensocial_demo",
        followers: int = 1234,
        private_metrics: bool = True,
        legacy_metrics: bool = False,
        counts_available: bool = True,
        timeline_lag: timedelta = timedelta(0),
        refuse_duplicates: bool = True,
    ) -> None:
        self.server = server
        self.clock = clock or (lambda: datetime.now(UTC))
        self.user_id = CREDENTIALS["access_token"].split("-")[0]
        self.username = username
        self.followers = followers
        self.private_metrics = private_metrics
        self.legacy_metrics = legacy_metrics
        self.counts_available = counts_available
        self.timeline_lag = timeline_lag
        self.refuse_duplicates = refuse_duplicates
        self.posts: dict[str, XPost] = {}  # by id, in creation order
        self.public: list[tuple[datetime, str, bool]] = []  # others' posts: (at, text, retweet)
        self.revoked = False
        self.blocked: Fault | None = None  # X's answer to every request while the app can't pay
        self.bill = Bill(self.clock)
        self._lock = threading.Lock()
        self._seq = 0
        server.route("POST", "/2/tweets", self._authed(self._create))
        server.route("GET", "/2/users/me", self._authed(self._me))
        server.route("GET", "/2/users/:id/tweets", self._authed(self._timeline))
        server.route("GET", "/2/tweets", self._authed(self._lookup))
        server.route("POST", "/oauth2/token", self._app_token)
        server.route("GET", "/2/tweets/counts/recent", self._counts)

    def revoke(self) -> None:
        """The account revoked the app: every request is now 401."""
        self.revoked = True

    def add_post(self, text: str, created_at: datetime, **metrics: int) -> XPost:
        """A post made some other way (older posts, other tools), for lookups and metrics."""
        with self._lock:
            return self._store(text, created_at, **metrics)

    def add_public_post(self, text: str, created_at: datetime, *, retweet: bool = False) -> None:
        """Someone else's public post, for recent post counts."""
        with self._lock:
            self.public.append((created_at, text, retweet))

    # -- plumbing --------------------------------------------------------------------------

    def _authed(self, handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
        def check(request: Request) -> Reply:
            if self.revoked or not self._signed(request):
                return problem(401, "Unauthorized", "Unauthorized")
            return self._refusal() or handler(request)

        return check

    def _signed(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("OAuth "):
            return False
        uri = f"http://{request.headers.get('host', '')}{request.path}"
        if request.query_string:
            uri += "?" + request.query_string
        oauth = OAuthRequest(uri, request.method, b"", {"Authorization": auth})
        oauth.params = signature.collect_parameters(
            uri_query=request.query_string,
            headers={"Authorization": auth},
            exclude_oauth_signature=True,
        )
        params = dict(
            signature.collect_parameters(
                headers={"Authorization": auth}, exclude_oauth_signature=False
            )
        )
        oauth.signature = params.get("oauth_signature", "")
        if (params.get("oauth_consumer_key"), params.get("oauth_token")) != (
            CREDENTIALS["consumer_key"],
            CREDENTIALS["access_token"],
        ):
            return False
        return bool(
            signature.verify_hmac_sha1(
                oauth, CREDENTIALS["consumer_secret"], CREDENTIALS["access_token_secret"]
            )
        )

    def _store(self, text: str, created_at: datetime, **metrics: int) -> XPost:
        self._seq += 1
        ms = int(created_at.timestamp() * 1000) - _EPOCH_MS
        post_id = str((ms << 22) | (self._seq & 0xFFF))
        urls = []
        shown = text
        for m in _URL.finditer(text):
            short = "https://t.co/" + hashlib.sha1(m.group(0).encode()).hexdigest()[:10]
            shown = shown.replace(m.group(0), short, 1)
            urls.append({"url": short, "expanded_url": m.group(0), "display_url": m.group(0)[8:38]})
        start = 0
        for u in urls:  # entity offsets into the text as X returns it
            start = shown.index(u["url"], start)
            u["start"], u["end"] = start, start + len(u["url"])
        post = XPost(post_id, shown, created_at, self.user_id, urls, **metrics)
        self.posts[post_id] = post
        return post

    @staticmethod
    def _fields(request: Request) -> set[str]:
        return set(filter(None, (request.arg("tweet.fields") or "").split(",")))

    # -- endpoints -------------------------------------------------------------------------

    def _create(self, request: Request) -> Reply:
        body = request.json() or {}
        text = body.get("text")
        if not isinstance(text, str) or not text:
            return problem(
                400, "Invalid Request", "One or more parameters to your request was invalid."
            )
        with self._lock:
            if self.refuse_duplicates and any(self._raw(p) == text for p in self.posts.values()):
                return problem(403, "Forbidden", DUPLICATE)
            post = self._store(text, self.clock())
        self.bill.request("Post: Create (with URL)" if post.urls else "Post: Create")
        return Reply(
            201, {"data": {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}}
        )

    def _me(self, request: Request) -> Reply:
        data: dict[str, Any] = {
            "id": self.user_id,
            "name": "Xensocial Demo",
            "username": self.username,
        }
        if "public_metrics" in (request.arg("user.fields") or "").split(","):
            data["public_metrics"] = {
                "followers_count": self.followers,
                "following_count": 10,
                "tweet_count": len(self.posts),
                "listed_count": 0,
                "like_count": 0,
            }
        self.bill.read("User: Read", [self.user_id])
        return Reply(200, {"data": data})

    def _timeline(self, request: Request) -> Reply:
        if request.params["id"] != self.user_id:
            return problem(
                403, "Forbidden", "Sorry, you are not authorized to see this user's posts."
            )
        start = request.arg("start_time")
        since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        size = int(request.arg("max_results") or 10)
        if not 5 <= size <= 100:
            return problem(400, "Invalid Request", "max_results must be between 5 and 100")
        offset = int(request.arg("pagination_token") or 0)
        shown_before = self.clock() - self.timeline_lag  # newer posts are not in it yet
        with self._lock:
            posts = [
                p
                for p in self.posts.values()
                if (since is None or p.created_at >= since) and p.created_at <= shown_before
            ]
        posts.sort(key=lambda p: int(p.id), reverse=True)  # newest first, as X lists them
        page = posts[offset : offset + size]
        fields = self._fields(request)
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0].id, page[-1].id
        if offset + size < len(posts):
            meta["next_token"] = str(offset + size)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [
                p.as_json(fields, private=False, legacy=self.legacy_metrics) for p in page
            ]
        self.bill.read("Owned Read", (p.id for p in page))
        return Reply(200, body)

    def _lookup(self, request: Request) -> Reply:
        ids = [i for i in (request.arg("ids") or "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return problem(
                400,
                "Invalid Request",
                f"The `ids` query parameter value [{len(ids)} ids] is not between 1 and 100",
            )
        fields = self._fields(request)
        wants_private = bool(fields & {"non_public_metrics", "organic_metrics"})
        now = self.clock()
        data, errors = [], []
        with self._lock:
            for i in ids:
                post = self.posts.get(i)
                if post is None:
                    errors.append(
                        {
                            "value": i,
                            "detail": f"Could not find tweet with ids: [{i}].",
                            "title": "Not Found Error",
                            "resource_type": "tweet",
                            "parameter": "ids",
                            "resource_id": i,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    )
                    continue
                if wants_private and (
                    not self.private_metrics or now - post.created_at > timedelta(days=30)
                ):
                    name = (
                        "non_public_metrics"
                        if "non_public_metrics" in fields
                        else "organic_metrics"
                    )
                    errors.append(
                        {
                            "value": i,
                            "detail": f"Sorry, you are not authorized to access '{name}' on a Tweet.",
                            "title": "Field Authorization Error",
                            "resource_type": "tweet",
                            "parameter": name,
                            "resource_id": i,
                            "section": "data",
                            "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
                        }
                    )
                    continue
                data.append(post.as_json(fields, private=True, legacy=self.legacy_metrics))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        self.bill.read("Posts: Read", (d["id"] for d in data))
        return Reply(200, body)
