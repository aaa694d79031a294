"""The X (Twitter) adapter: posts through tweepy 4.17's `Client` (API v2, OAuth 1.0a user context).

Secrets: `consumer_key`, `consumer_secret`, `access_token`, `access_token_secret` (the app's
keys and the posting account's token, with Read and Write permission). Options: `api_base_url`
(default: the real API; a proxy or a fake server in tests).

tweepy's `Client.request` hard-codes `https://api.twitter.com` and sends without a timeout, so
the client's session is replaced by one from `_http.make_session`: every request times out, and
with `api_base_url` goes there instead. `wait_on_rate_limit` is never used (it sleeps inside the
call, and loops without bound when the reset header is missing); a 429 becomes `RateLimited`
with the `x-rate-limit-reset` instant, and the publisher decides whether to wait.

Errors: 429 -> RateLimited; 401 -> AuthError; 403 "duplicate content" -> Rejected(duplicate);
other 400/403 on a post -> Rejected (on a read, 403 -> AuthError: the app's access level does
not allow the endpoint); 5xx -> TransientError (maybe_posted on a post: X may have created it);
transport failures via `_http.transport_error`. X bills per use: 402 (no credits left) and a
429 whose problem type is `usage-capped` -> ChannelBlocked ("out of X credits: ...", "monthly
usage cap reached: ..."), on posts and reads alike, so the channel pauses until a person acts
(`_x_billing` says why; X did not create the post).

`find_published` reads the account's posts since `since` (`GET /2/users/:id/tweets`) and
matches the item's URL against each post's expanded links (X wraps every link in t.co), then
the exact text. `lookup_is_reliable` is False: the timeline is eventually consistent (a post
just created can be missing from it for a while), so "not found" right after an attempt does
not prove "not posted". `lookup_settles` is True: once `[publishing] settle` has passed since
the attempt and two reads found nothing, the post is taken as absent (`xensocial.in_doubt`;
the residual risk is in docs/reliability.md). A timeline the access tier may not read (403)
raises `LookupUnavailable`: the delivery goes to a person. (X's own duplicate-content check is
a second line of defence, not one we rely on.)

Engagement: `GET /2/tweets`, up to 100 ids a call, which X bills per post read: the metrics
budget counts one read per id (`engagement_reads`), one per follower count. Reposts are
`repost_count` in X's current payloads and `retweet_count` in older ones: either is read;
bookmarks are `bookmark_count`. Posts under 30 days old (their age read from the snowflake id,
so no extra call) are asked for `non_public_metrics` and `organic_metrics` too; X answers those
only for the account's own recent posts when the credentials allow it, else a "Field
Authorization Error" per post: those are read again with public metrics only, and the adapter
stops asking for private ones.

Threads: a reply (`Post.reply_to`) is `POST /2/tweets` with `reply.in_reply_to_tweet_id` (the
part before); found again like a post, by its exact text (it carries no link of its own).

Recent post counts (`count_recent_posts`, only this adapter's; the metrics round uses it for
competitors' keywords): `GET /2/tweets/counts/recent`, with app-only authentication: the secret
`bearer_token`, else a token obtained once from the consumer key and secret (`POST
/oauth2/token`), redacted like any secret. A 403 there: the tier lacks the endpoint (AuthError).
Images: uploaded, alt text and all, by `_x_media` (`XMedia`, mixed in), which says how."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote

from ..redaction import add_secrets
from ._lazy import require
from ._options import parse_base_url, reject_unknown_options
from ._x_billing import (
    FOLLOWERS_READS,
    is_usage_capped,
    out_of_credits,
    post_reads,
    problem_of,
    usage_capped,
)
from ._x_fields import canonical_link as _canonical
from ._x_fields import reposts as _reposts
from ._x_fields import snowflake_time as _snowflake_time
from ._x_fields import whole as _int
from ._x_media import XMedia, http_error
from .base import (
    AccountInfo,
    Adapter,
    AuthError,
    ChannelContext,
    Engagement,
    LookupUnavailable,
    Post,
    PublishResult,
    RateLimited,
    Rejected,
    TextLimits,
    TransientError,
)
from .media_limits import X_MEDIA

if TYPE_CHECKING:
    import tweepy  # type: ignore[import-untyped]  # tweepy ships no type information

__all__ = ["XAdapter"]

require("x", "tweepy", "requests")  # imported on first use (see `_lazy`)

REAL_HOSTS = ("https://api.twitter.com", "https://api.x.com")
SECRETS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
OPTIONS = frozenset({"api_base_url"})
BATCH = 100  # ids per GET /2/tweets, the API's maximum
LOOKUP_PAGES = 10  # find_published reads at most this many pages of 100 posts
PRIVATE_METRICS_AGE = timedelta(days=29)  # X allows 30 days; a day's margin for clock skew
PUBLIC_FIELDS = ["public_metrics"]
PRIVATE_FIELDS = ["public_metrics", "non_public_metrics", "organic_metrics"]
_URL_IN_TEXT = re.compile(r"https?://\S+")

T = TypeVar("T")


class _FieldsRefused(Exception):
    """X refused a whole metrics request (403) because of the private fields it asked for."""


def _messages(exc: tweepy.HTTPException) -> str:
    return "; ".join(str(m) for m in exc.api_messages) or str(exc)


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class XAdapter(XMedia, Adapter):
    name: ClassVar[str] = "x"
    limits: ClassVar[TextLimits] = TextLimits(max_length=280, url_length=23)
    media_limits = X_MEDIA
    lookup_is_reliable: ClassVar[bool] = False  # see the module docstring
    lookup_settles: ClassVar[bool] = True
    replies_as: ClassVar[str] = "thread"
    engagement_batch: ClassVar[int] = BATCH
    followers_reads: ClassVar[int] = FOLLOWERS_READS

    def __init__(self, context: ChannelContext) -> None:
        super().__init__(context)
        reject_unknown_options(context.options, sorted(OPTIONS), "the x adapter")
        base_url = parse_base_url(context.options.get("api_base_url"))
        missing = [s for s in SECRETS if not context.secrets.get(s)]
        if missing:
            raise AuthError(
                f"channel {context.name!r}: missing X secret(s) {', '.join(missing)} "
                "(set them under [channels.secrets] as env:NAME or file:PATH)"
            )
        self._base_url = base_url
        self._user_id: str | None = None
        self._private_metrics = True  # until X says the credentials may not read them
        self._app_bearer: str | None = None  # for the endpoints X serves app-only

    # -- calling X -------------------------------------------------------------------------

    @cached_property
    def _client(self) -> Any:
        """tweepy's Client with our session, built on first use (see `_lazy`)."""
        import tweepy

        from ._http import make_session

        secrets = self.context.secrets
        client = tweepy.Client(
            consumer_key=secrets["consumer_key"],
            consumer_secret=secrets["consumer_secret"],
            access_token=secrets["access_token"],
            access_token_secret=secrets["access_token_secret"],
            return_type=dict,
            wait_on_rate_limit=False,
        )
        client.session.close()
        client.session = make_session(
            timeout=self.context.timeout_seconds, real_hosts=REAL_HOSTS, api_base_url=self._base_url
        )
        return client

    def _call(
        self,
        action: str,
        call: Callable[[], T],
        *,
        posting: bool = False,
        private: bool = False,
        lookup: bool = False,
    ) -> T:
        """Run one tweepy call, turning whatever it raises into our error tree.

        `private`: the call asks for private metrics, and a 403 means "not those fields".
        `lookup`: the timeline read of `find_published`, which a 403 shows can never answer."""
        import requests
        import tweepy

        from ._http import transport_error

        try:
            return call()
        except tweepy.TooManyRequests as exc:
            problem = problem_of(exc.response)
            if is_usage_capped(problem):  # not a window to wait out: a person must act
                raise usage_capped(action, problem, self.context.name) from None
            reset = exc.reset_time
            reset_at = datetime.fromtimestamp(reset, tz=UTC) if isinstance(reset, int) else None
            raise RateLimited(f"{action}: X rate limit (429)", reset_at=reset_at) from None
        except tweepy.Unauthorized as exc:
            raise AuthError(
                f"{action}: X refused the credentials (401): {_messages(exc)}"
            ) from None
        except tweepy.Forbidden as exc:
            text = _messages(exc)
            if private:
                raise _FieldsRefused(text) from None
            if lookup:  # the access tier may not read timelines: asking again will not help
                raise LookupUnavailable(f"{action}: X refused access (403): {text}") from None
            if not posting:
                raise AuthError(
                    f"{action}: X refused access (403), the app's access level or permissions "
                    f"may not allow it: {text}"
                ) from None
            if "duplicate content" in text.lower():
                raise Rejected(
                    f"{action}: X refused a duplicate (403): {text}", duplicate=True
                ) from None
            raise Rejected(f"{action}: X refused the post (403): {text}") from None
        except tweepy.BadRequest as exc:
            if posting:
                raise Rejected(f"{action}: X refused the post (400): {_messages(exc)}") from None
            raise TransientError(f"{action}: X answered 400: {_messages(exc)}") from None
        except tweepy.TwitterServerError as exc:
            status = exc.response.status_code
            raise TransientError(
                f"{action}: X server error ({status})", maybe_posted=posting
            ) from None
        except tweepy.HTTPException as exc:
            status = exc.response.status_code
            if status == 402:  # out of credits: X did nothing, and will do nothing until paid
                raise out_of_credits(action, problem_of(exc.response), self.context.name) from None
            if status == 413:  # an image too large: X will refuse it every time
                raise Rejected(f"{action}: X refused it as too large (413)") from None
            raise TransientError(
                f"{action}: X answered {status}: {_messages(exc)}", maybe_posted=posting
            ) from None
        except requests.RequestException as exc:
            error = transport_error(exc, action)
            if not posting:
                error.maybe_posted = False  # a read creates nothing
            raise error from None
        except ValueError as exc:  # tweepy's int() of a malformed x-rate-limit-reset header
            raise TransientError(
                f"{action}: X's answer could not be read ({exc})", maybe_posted=posting
            ) from None

    def _user(self) -> str:
        """The posting account's user id (asked once per adapter)."""
        if self._user_id is None:
            body = self._call("reading the X account", lambda: self._client.get_me())
            self._user_id = str(body["data"]["id"])
        return self._user_id

    # -- the interface ---------------------------------------------------------------------

    def publish(self, post: Post) -> PublishResult:
        body = self._call("posting to X", lambda: self._create_tweet(post), posting=True)
        try:
            remote_id = str(body["data"]["id"])
        except (KeyError, TypeError):
            raise TransientError(
                "posting to X: the answer had no post id", maybe_posted=True
            ) from None
        return PublishResult(
            remote_id, f"https://x.com/i/web/status/{remote_id}", self.context.clock()
        )

    def _recent_posts(self, since: datetime) -> Iterator[dict[str, Any]]:
        user_id = self._user()
        token: str | None = None
        for _ in range(LOOKUP_PAGES):
            params: dict[str, Any] = {
                "start_time": since,
                "max_results": 100,
                "tweet_fields": ["created_at", "entities"],
                "user_auth": True,
            }
            if token:
                params["pagination_token"] = token
            body = self._call(
                "reading recent X posts",
                lambda p=params: self._client.get_users_tweets(user_id, **p),  # type: ignore[misc]
                lookup=True,
            )
            yield from body.get("data") or []
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return

    @staticmethod
    def _matches(tweet: Mapping[str, Any], want_url: str | None, text: str) -> bool:
        if want_url is not None:
            links = [
                u.get("unwound_url") or u.get("expanded_url") or u.get("url") or ""
                for u in (tweet.get("entities") or {}).get("urls") or []
            ]
            links += _URL_IN_TEXT.findall(str(tweet.get("text") or ""))
            if any(_canonical(link) == want_url for link in links if link):
                return True
        return bool(text) and tweet.get("text") == text

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        want_url = _canonical(post.url) if post.url else None
        for tweet in self._recent_posts(since):
            if self._matches(tweet, want_url, post.text):
                remote_id = str(tweet["id"])
                created = tweet.get("created_at")
                published_at = (
                    datetime.fromisoformat(created.replace("Z", "+00:00"))
                    if isinstance(created, str)
                    else self.context.clock()
                )
                return PublishResult(
                    remote_id, f"https://x.com/i/web/status/{remote_id}", published_at
                )
        return None

    def _read_tweets(
        self, ids: Sequence[str], fields: list[str], *, private: bool = False
    ) -> dict[str, Any]:
        return self._call(
            "reading X post metrics",
            lambda: self._client.get_tweets(list(ids), tweet_fields=fields, user_auth=True),
            private=private,
        )

    def _engagement(self, tweet: Mapping[str, Any], now: datetime) -> Engagement:
        public = tweet.get("public_metrics")
        private = tweet.get("non_public_metrics")
        organic = tweet.get("organic_metrics")
        impressions = _int(private, "impression_count")
        if impressions is None:
            impressions = _int(public, "impression_count")
        clicks = _int(private, "url_link_clicks")
        if clicks is None:
            clicks = _int(organic, "url_link_clicks")
        return Engagement(
            remote_id=str(tweet["id"]),
            fetched_at=now,
            likes=_int(public, "like_count"),
            reposts=_reposts(public),
            replies=_int(public, "reply_count"),
            quotes=_int(public, "quote_count"),
            impressions=impressions,
            clicks=clicks,
            bookmarks=_int(public, "bookmark_count"),
        )

    def engagement_reads(self, ids: int) -> int:
        return post_reads(ids)  # X bills each post read, not the request

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        now = self.context.clock()
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        recent: list[str] = []
        older: list[str] = []
        for i in ids:
            born = _snowflake_time(i)
            young = born is not None and now - born < PRIVATE_METRICS_AGE
            (recent if young and self._private_metrics else older).append(i)

        found: dict[str, Engagement] = {}
        for start in range(0, len(recent), BATCH):
            batch = recent[start : start + BATCH]
            if not self._private_metrics:  # learnt from an earlier batch
                older.extend(batch)
                continue
            try:
                body = self._read_tweets(batch, PRIVATE_FIELDS, private=True)
            except _FieldsRefused:
                body = {"errors": [{"title": "Field Authorization Error"}]}
            for tweet in body.get("data") or []:
                found[str(tweet["id"])] = self._engagement(tweet, now)
            if any(
                "not-authorized-for-field" in str(e.get("type", ""))
                or e.get("title") == "Field Authorization Error"
                for e in body.get("errors") or []
            ):
                self._private_metrics = False  # these credentials may not read them
                older.extend(i for i in batch if i not in found)
        for start in range(0, len(older), BATCH):
            body = self._read_tweets(older[start : start + BATCH], PUBLIC_FIELDS)
            for tweet in body.get("data") or []:
                found[str(tweet["id"])] = self._engagement(tweet, now)
        return [found[i] for i in ids if i in found]

    def _me(self) -> dict[str, Any]:
        body = self._call(
            "reading the X account",
            lambda: self._client.get_me(user_fields=["public_metrics"]),
        )
        data: dict[str, Any] = body["data"]
        self._user_id = str(data["id"])
        return data

    def fetch_followers(self) -> int | None:
        return _int(self._me().get("public_metrics"), "followers_count")

    def verify(self) -> AccountInfo:
        me = self._me()
        username = str(me.get("username") or me["id"])
        return AccountInfo(
            account=f"@{username}",
            followers=_int(me.get("public_metrics"), "followers_count"),
            url=f"https://x.com/{username}",
        )

    # -- recent post counts (optional capability) ------------------------------------------

    def _app_token(self) -> str:
        """The app-only bearer token: the `bearer_token` secret, else asked of X once."""
        if self._app_bearer is None:
            token = self.context.secrets.get("bearer_token") or self._call(
                "getting the X app's bearer token", self._request_app_token
            )
            add_secrets([token])
            self._app_bearer = token
        return self._app_bearer

    def _request_app_token(self) -> str:
        key, secret = (
            quote(self.context.secrets[n], safe="") for n in ("consumer_key", "consumer_secret")
        )
        response = self._client.session.post(
            f"{REAL_HOSTS[0]}/oauth2/token",
            auth=(key, secret),
            data={"grant_type": "client_credentials"},
        )
        if response.status_code != 200:
            raise http_error(response)
        token = response.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise ValueError("no access_token in the answer")
        return token

    def count_recent_posts(
        self, query: str, *, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime, int]]:
        """How many posts matched `query` on each day from `start` to `end` (both within the
        last seven days), as X counts them: (day start, day end, posts), oldest first.

        Raises RateLimited, AuthError (401; 403: the app's access tier lacks the endpoint) or
        TransientError. X bills "Counts: Recent" per request: one read of the metrics budget."""
        self._client.bearer_token = self._app_token()
        try:
            body = self._call(
                "counting recent X posts",
                lambda: self._client.get_recent_tweets_count(
                    query, granularity="day", start_time=start, end_time=end
                ),
            )
        except AuthError:
            self._app_bearer = None  # a revoked token is asked for again next time
            raise
        try:
            return [
                (_instant(b["start"]), _instant(b["end"]), int(b["tweet_count"]))
                for b in body.get("data") or []
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise TransientError(f"counting recent X posts: unreadable answer ({exc})") from None

    def close(self) -> None:
        if "_client" in self.__dict__:  # never built: nothing to close
            self._client.session.close()
