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

Threads: a reply (`Post.reply_to`) is a status with `in_reply_to_id` set to the part before,
under its own idempotency key; a lookup matches it only among answers to that part.

Length: an instance sets its own limit. `limits` read from the class is Mastodon's default (500
characters, each link counting 23), which is what `queue add` checks without the network; read
from an adapter, it is the instance's `configuration.statuses.max_characters` from
`/api/v2/instance`, fetched once (the default while the instance cannot be reached), so posts
are rendered to the instance's real limit, and `publish` refuses a text above it up front.

Images: `queue add` checks Mastodon's default image limits (`MASTODON_MEDIA`); the upload
checks the instance's own (`instance_media`: `configuration.media_attachments` of the same
instance answer, read once), refusing an image above its `image_matrix_limit`, of a type not
in its `supported_mime_types`, or with an alt text above its `description_limit` (`Rejected`,
naming the limit: never posted without the image). Each is uploaded with `POST /api/v2/media`
(`media_post`, its alt text as `description`), re-encoded first when above the instance's
`image_size_limit` (`_upload.image_payload`), and the
status references them (`media_ids`). The v2 endpoint may answer 202 with `url` null while
the instance still processes the file (docs.joinmastodon.org/methods/media); such an id is
read back (`GET /api/v1/media/:id`) before the status is posted, and while it is still
processing, or the instance answers 422 "not finished processing", the try fails as a
transient error that posted nothing: the publisher's backoff is the polling interval, and its
retry reuses the recorded id. Mastodon deletes media not attached to a status after a day (its
media attachments vacuum); an upload is reused for `MEDIA_REUSE` (12 hours, half that), and
uploaded again after.

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
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from io import BytesIO
from typing import TYPE_CHECKING, Any, ClassVar, overload
from urllib.parse import urlsplit

from ..text import measure
from ._lazy import require
from ._options import parse_base_url, reject_unknown_options
from ._upload import image_payload
from .base import (
    AccountInfo,
    Adapter,
    AdapterError,
    AuthError,
    ChannelContext,
    Engagement,
    MediaLimits,
    MediaRef,
    Post,
    PostImage,
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

__all__ = ["DEFAULT_LIMITS", "MEDIA_REUSE", "MastodonAdapter"]

require("mastodon", "mastodon", "requests")  # imported on first use (see `_lazy`)

DEFAULT_LIMITS = TextLimits(max_length=500, url_length=23)
MEDIA_REUSE = timedelta(hours=12)  # unattached media is deleted after a day: half of it
_LOOKUP_PAGES = 10  # of 40 statuses: 400 posts since the first try is more than any account makes
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_HREF = re.compile(r'href="([^"]*)"')
_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}


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
    media_limits = MASTODON_MEDIA  # at add; the upload reads the instance's (`instance_media`)
    lookup_is_reliable: ClassVar[bool] = True  # see the module docstring
    replies_as: ClassVar[str] = "thread"  # `in_reply_to_id`: each part answers the one before
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
        self._config: Mapping[str, Any] | None = None
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
        if status == 422 and "processing" in detail.lower():
            # "Cannot attach files that have not finished processing": nothing was posted.
            return TransientError(text)
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

    def _configuration(self) -> Mapping[str, Any] | None:
        """The instance's `configuration` from `/api/v2/instance`, read once for the text and
        the image limits alike; None (not remembered: the next call asks again) while the
        instance cannot be read."""
        if self._config is None:
            try:
                info = self._call("reading the instance", self._client.instance_v2)
            except AdapterError:
                return None
            self._config = info.get("configuration") or {}
        return self._config

    def instance_limits(self) -> TextLimits:
        """The instance's text limits; the default while they cannot be read."""
        config = self._configuration()
        if config is None:
            return DEFAULT_LIMITS
        statuses = config.get("statuses") or {}
        max_chars = _positive(statuses.get("max_characters"))
        url_length = _positive(statuses.get("characters_reserved_per_url"))
        return TextLimits(
            max_length=max_chars or DEFAULT_LIMITS.max_length,
            url_length=url_length or DEFAULT_LIMITS.url_length,
        )

    def instance_media(self) -> MediaLimits:
        """The instance's image limits (`configuration.media_attachments`: `image_size_limit`,
        `image_matrix_limit`, `supported_mime_types`, and `description_limit` since Mastodon
        4.4), each one it does not give, or all while it cannot be read, Mastodon's default
        (`MASTODON_MEDIA`, what `queue add` checked)."""
        config = self._configuration() or {}
        media = config.get("media_attachments") or {}
        mimes = media.get("supported_mime_types")
        types = (
            frozenset(m for m in mimes if isinstance(m, str)) & MASTODON_MEDIA.types
            if isinstance(mimes, list)
            else MASTODON_MEDIA.types
        )
        d = MASTODON_MEDIA
        return replace(
            d,
            types=types,
            max_bytes=_positive(media.get("image_size_limit")) or d.max_bytes,
            max_pixels=_positive(media.get("image_matrix_limit")) or d.max_pixels,
            alt_max_length=_positive(media.get("description_limit")) or d.alt_max_length,
            source="the instance's configuration.media_attachments",
        )

    # -- the interface ---------------------------------------------------------------------

    def publish(self, post: Post) -> PublishResult:
        limits = self.instance_limits()
        length = measure("mastodon", post.text)
        if length > limits.max_length:
            raise Rejected(
                f"posting to Mastodon: {length} characters, the instance allows {limits.max_length}"
            )
        processing = [n for n, m in enumerate(post.media_ids, start=1) if not self._ready(m)]
        if processing:
            numbers = ", ".join(map(str, processing))
            raise TransientError(f"posting to Mastodon: image {numbers} still being processed")
        status = self._must_exist(
            "posting to Mastodon",
            lambda: self._client.status_post(
                post.text,
                idempotency_key=post.key,
                in_reply_to_id=post.reply_to.parent_id if post.reply_to else None,
                media_ids=list(post.media_ids) or None,
            ),
            posting=True,
        )
        return self._result(status)

    def upload_image(self, image: PostImage) -> MediaRef:
        limits = self.instance_media()
        problem = _refusal(limits, image)
        if problem is not None:
            raise Rejected(f"{self.base_url}: {problem}")
        payload = image_payload(self.context, image, limits)
        attachment = self._must_exist(
            "uploading an image to Mastodon",
            lambda: self._client.media_post(
                BytesIO(payload.data),
                mime_type=payload.mime,
                description=image.alt,
                file_name=f"{image.sha256[:16]}{_SUFFIX.get(payload.mime, '')}",
            ),
        )
        return MediaRef(str(attachment["id"]), self.context.clock() + MEDIA_REUSE)

    def _ready(self, media_id: str) -> bool:
        """Whether the instance has processed the upload `media_id` (its `url` is set)."""
        attachment = self._call("reading an uploaded image", partial(self._client.media, media_id))
        return bool(attachment.get("url"))

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
    if post.reply_to is not None and str(status.get("in_reply_to_id")) != post.reply_to.parent_id:
        return False  # a thread's part: only an answer to the part before it is ours
    content = str(status.get("content") or "")
    # The link's href holds the URL whole (its text is cut for display); whole hrefs only, so
    # ".../blog/1" does not match a post of ".../blog/15".
    if post.url and post.url in {html.unescape(h) for h in _HREF.findall(content)}:
        return True
    return bool(content) and _plain(content) == " ".join(post.text.split())


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _refusal(limits: MediaLimits, image: PostImage) -> str | None:
    """Why the instance refuses `image` though Mastodon's defaults took it at add, or None.
    A byte limit is no reason (the upload re-encodes down to it); pixels, type and alt text
    length are: xensocial never scales a picture, and never posts it without its image."""
    if image.mime not in limits.types:
        return f"the instance takes {', '.join(sorted(limits.types))}, not {image.mime}"
    pixels = image.width * image.height
    if limits.max_pixels is not None and pixels > limits.max_pixels:
        return (
            f"the image is {image.width}×{image.height} ({pixels:,} pixels); the instance's "
            f"image_matrix_limit is {limits.max_pixels:,} pixels (scale it down yourself)"
        )
    if limits.alt_max_length is not None and len(image.alt) > limits.alt_max_length:
        return (
            f"the alt text is {len(image.alt):,} characters; the instance's "
            f"description_limit is {limits.alt_max_length:,}"
        )
    return None


def _positive(value: Any) -> int | None:
    count = _count(value)
    return count if count is not None and count > 0 else None


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
