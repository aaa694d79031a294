"""The Mastodon adapter: posts statuses to one account on one instance through Mastodon.py.

Configuration:

    [[channels]]
    network = "mastodon"
    [channels.options]
    api_base_url = "https://floss.social"   # required: the instance
    [channels.secrets]
    access_token = "env:MASTODON_TOKEN"     # scopes read:accounts read:statuses write:statuses

Never twice: every attempt of one delivery sends the same `Idempotency-Key` (the post's key).
Mastodon keeps the key for an hour and answers a repeat with the status it already made, so a
retry after a lost answer cannot post again. Beyond that hour, `find_published` reads the
account's own statuses, which the instance lists as soon as they exist: a status is matched on
the item's link (in its HTML content) or on its whole text. Both together make a lookup that
finds nothing good proof the post is not out (`lookup_is_reliable = True`); when the account has
posted more since `since` than `_LOOKUP_PAGES` pages hold, the lookup says it cannot tell.

Length: an instance sets its own limit. `limits` read from the class is Mastodon's default (500
characters, each link counting 23), which is what `queue add` checks without the network; read
from an adapter, it is the instance's `configuration.statuses.max_characters` from
`/api/v2/instance`, fetched once (the default while the instance cannot be reached), so posts
are rendered to the instance's real limit, and `publish` refuses a text above it up front.

Engagement (`status(id)` per post): favourites, reblogs and replies; quotes only where the
instance counts them (`quotes_count`, Mastodon 4.5+); impressions and clicks are never given, so
they are None. Followers come from `account_verify_credentials()`.

Mastodon.py is built so that it never sleeps or probes on its own: `ratelimit_method="throw"`
(a 429 becomes RateLimited with the `X-RateLimit-Reset` time instead of a sleep inside a slot),
`version_check_mode="none"` (no request at construction), and our request timeout.

Errors: 401 → AuthError; 403 (scope missing, account suspended) → AuthError; 404 from an
endpoint every instance has → AuthError naming `api_base_url` (a misconfigured channel pauses,
its items wait); 429 → RateLimited; 5xx and network failures → TransientError (`maybe_posted`
where the request may have landed); 422 and other 4xx → Rejected.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, ClassVar, overload
from urllib.parse import urlsplit

from ..text import measure
from ._lazy import require
from ._options import parse_base_url, reject_unknown_options
from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    RateLimited,
    Rejected,
    TextLimits,
    TransientError,
)
from .media_limits import MASTODON_MEDIA

if TYPE_CHECKING:
    import requests
    from mastodon import Mastodon
    from mastodon.errors import MastodonError

__all__ = ["DEFAULT_LIMITS", "MastodonAdapter"]

require("mastodon", "mastodon", "requests")  # imported on first use (see `_lazy`)

DEFAULT_LIMITS = TextLimits(max_length=500, url_length=23)
_LOOKUP_PAGES = 10  # of 40 statuses: 400 posts since the first try is more than any account makes
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r'href="([^"]*)"')


class _InstanceLimits:
    """`limits` as a descriptor: the default on the class, the instance's limit on an adapter."""

    @overload
    def __get__(self, obj: None, owner: Any) -> TextLimits: ...
    @overload
    def __get__(self, obj: MastodonAdapter, owner: Any) -> TextLimits: ...
    def __get__(self, obj: MastodonAdapter | None, owner: Any) -> TextLimits:
        return DEFAULT_LIMITS if obj is None else obj.instance_limits()


class MastodonAdapter(Adapter):
    name: ClassVar[str] = "mastodon"
    limits = _InstanceLimits()
    media_limits = MASTODON_MEDIA  # the instance's own are read by the upload (media.md)
    lookup_is_reliable: ClassVar[bool] = True  # see the module docstring
    engagement_batch: ClassVar[int] = 1  # one status read per post

    def __init__(self, context: ChannelContext) -> None:
        super().__init__(context)
        reject_unknown_options(context.options, ("api_base_url",), "mastodon")
        base_url = parse_base_url(context.options.get("api_base_url"))
        if base_url is None:
            raise ValueError("api_base_url: required, the instance, e.g. 'https://floss.social'")
        self.base_url = base_url
        token = context.secrets.get("access_token")
        if not token:
            raise AuthError(f"channel {context.name!r}: secret 'access_token' is missing")
        self._token = token

        self._last: requests.Response | None = None
        self._limits: TextLimits | None = None
        self._account: Mapping[str, Any] | None = None
        self._session: requests.Session | None = None

    @cached_property
    def _client(self) -> Mastodon:
        """The Mastodon.py client with our session, built on first use (see `_lazy`)."""
        from mastodon import Mastodon

        from ._http import make_session

        session = make_session(timeout=self.context.timeout_seconds)
        session.hooks["response"].append(self._remember)
        self._session = session
        return Mastodon(
            access_token=self._token,
            api_base_url=self.base_url,
            ratelimit_method="throw",
            version_check_mode="none",
            request_timeout=self.context.timeout_seconds,
            session=session,
        )

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response

    # -- calling the instance --------------------------------------------------------------

    def _call(self, action: str, fn: Callable[[], Any], *, posting: bool = False) -> Any:
        """`fn()` (one library call), with every failure turned into our error tree."""
        from mastodon.errors import MastodonError

        self._last = None
        try:
            return fn()
        except MastodonError as exc:
            raise self._error(exc, action, posting) from exc

    def _error(self, exc: MastodonError, action: str, posting: bool) -> AdapterError:
        import requests
        from mastodon.errors import (
            MastodonAPIError,
            MastodonNetworkError,
            MastodonRatelimitError,
            MastodonServerError,
            MastodonUnauthorizedError,
        )

        from ._http import transport_error

        status = self._last.status_code if self._last is not None else None
        if isinstance(exc, MastodonRatelimitError) or status == 429:
            return RateLimited(f"{action}: rate limited (HTTP 429)", reset_at=self._reset_at())
        if isinstance(exc, MastodonNetworkError):
            cause = exc.__context__  # Mastodon.py wraps the requests exception without `from`
            if isinstance(cause, requests.RequestException):
                return transport_error(cause, action)
            return TransientError(f"{action}: {exc}", maybe_posted=posting)
        detail = _detail(exc)
        text = f"{action}: HTTP {status}: {detail}" if status else f"{action}: {detail}"
        if isinstance(exc, MastodonUnauthorizedError) or status == 403:
            return AuthError(text)
        if isinstance(exc, MastodonServerError) or (status is not None and status >= 500):
            return TransientError(text, maybe_posted=posting)
        if isinstance(exc, MastodonAPIError) and status is not None and 400 <= status < 500:
            return Rejected(text)
        # An answer that could not be read (a 200 that is not JSON): it may follow a post.
        return TransientError(text, maybe_posted=posting)

    def _reset_at(self) -> datetime | None:
        raw = self._last.headers.get("X-RateLimit-Reset") if self._last is not None else None
        if not raw:
            return None
        try:
            if raw.strip().isdigit():
                return datetime.fromtimestamp(int(raw), UTC)
            return datetime.fromisoformat(raw.strip()).astimezone(UTC)
        except (ValueError, OverflowError):
            return None

    def _must_exist(self, action: str, fn: Callable[[], Any], *, posting: bool = False) -> Any:
        """Call an endpoint every instance has: a 404 there means a wrong `api_base_url`."""
        from mastodon.errors import MastodonNotFoundError

        try:
            return self._call(action, fn, posting=posting)
        except Rejected as exc:
            if isinstance(exc.__cause__, MastodonNotFoundError):
                raise AuthError(
                    f"{action}: {self.base_url} answers 404: is api_base_url a Mastodon instance?"
                ) from exc
            raise

    def _me(self, *, fresh: bool = False) -> Mapping[str, Any]:
        if self._account is None or fresh:
            self._account = self._must_exist(
                "reading the account", self._client.account_verify_credentials
            )
        return self._account

    # -- limits ----------------------------------------------------------------------------

    def instance_limits(self) -> TextLimits:
        """The instance's limits, fetched once; the default while they cannot be read."""
        if self._limits is not None:
            return self._limits
        try:
            info = self._call("reading the instance", self._client.instance_v2)
        except AdapterError:
            return DEFAULT_LIMITS  # not remembered: the next call asks again
        config = info.get("configuration") or {}
        statuses = config.get("statuses") or {}
        max_chars = _count(statuses.get("max_characters"))
        url_length = _count(statuses.get("characters_reserved_per_url"))
        self._limits = TextLimits(
            max_length=max_chars if max_chars and max_chars > 0 else DEFAULT_LIMITS.max_length,
            url_length=url_length if url_length and url_length > 0 else DEFAULT_LIMITS.url_length,
        )
        return self._limits

    # -- the interface ---------------------------------------------------------------------

    def publish(self, post: Post) -> PublishResult:
        limits = self.instance_limits()
        length = measure("mastodon", post.text)
        if length > limits.max_length:
            raise Rejected(
                f"posting to Mastodon: {length} characters, the instance allows {limits.max_length}"
            )
        status = self._must_exist(
            "posting to Mastodon",
            lambda: self._client.status_post(post.text, idempotency_key=post.key),
            posting=True,
        )
        return self._result(status)

    def _result(self, status: Mapping[str, Any]) -> PublishResult:
        created = status.get("created_at")
        if isinstance(created, datetime):
            at = created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)
        else:
            at = self.context.clock()
        return PublishResult(str(status["id"]), status.get("url") or status.get("uri"), at)

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        account_id = self._me()["id"]
        max_id: str | None = None
        for _ in range(_LOOKUP_PAGES):
            page = self._must_exist(
                "reading the account's statuses",
                partial(
                    self._client.account_statuses,
                    account_id,
                    exclude_reblogs=True,
                    limit=40,
                    max_id=max_id,
                ),
            )
            if not page:
                return None
            for status in page:
                if _matches(status, post):
                    return self._result(status)
            oldest = page[-1]
            created = oldest.get("created_at")
            if isinstance(created, datetime) and _utc(created) < since:
                return None
            max_id = str(oldest["id"])
        raise TransientError(
            f"reading the account's statuses: more than {_LOOKUP_PAGES * 40} since "
            f"{since.isoformat()}; cannot tell whether the post is out"
        )

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        from mastodon.errors import MastodonAPIError, MastodonNotFoundError

        out = []
        for remote_id in remote_ids:
            try:
                status = self._call("reading a status", partial(self._client.status, remote_id))
            except Rejected as exc:
                if isinstance(exc.__cause__, MastodonNotFoundError | MastodonAPIError) and (
                    _status_of(exc.__cause__) in (404, 410)
                ):
                    continue  # deleted: the interface says leave it out
                raise
            out.append(
                Engagement(
                    remote_id=remote_id,
                    fetched_at=self.context.clock(),
                    likes=_count(status.get("favourites_count")),
                    reposts=_count(status.get("reblogs_count")),
                    replies=_count(status.get("replies_count")),
                    quotes=_count(status.get("quotes_count")),  # Mastodon 4.5+; else None
                )
            )
        return out

    def fetch_followers(self) -> int | None:
        return _count(self._me(fresh=True).get("followers_count"))

    def verify(self) -> AccountInfo:
        me = self._me(fresh=True)
        host = urlsplit(self.base_url).netloc
        acct = str(me.get("acct") or me.get("username") or me["id"])
        return AccountInfo(
            account=f"@{acct}@{host}" if "@" not in acct else f"@{acct}",
            followers=_count(me.get("followers_count")),
            url=me.get("url"),
        )

    def close(self) -> None:
        if self._session is not None:  # None: the client was never built
            self._session.close()


def _plain(content: str) -> str:
    """A status's HTML content as the text it was posted from, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub("", _BREAK.sub("\n", content))).split())


def _matches(status: Mapping[str, Any], post: Post) -> bool:
    content = str(status.get("content") or "")
    # The link's href holds the URL whole (its text is cut for display); whole hrefs only, so
    # ".../blog/1" does not match a post of ".../blog/15".
    if post.url and post.url in {html.unescape(h) for h in _HREF.findall(content)}:
        return True
    return bool(content) and _plain(content) == " ".join(post.text.split())


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _status_of(exc: BaseException) -> int | None:
    args: tuple[Any, ...] = exc.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _detail(exc: MastodonError) -> str:
    """The server's own error message when Mastodon.py kept it, else the exception's text."""
    args: tuple[Any, ...] = exc.args
    if len(args) >= 4 and args[3]:
        return str(args[3])
    return str(exc)
