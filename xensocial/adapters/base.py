"""The adapter interface: what xensocial asks of a network, and the errors it may answer.

An adapter turns one channel's configuration into calls on one network. The daemon never talks
to a network any other way, so this interface is the whole contract; `outbox.OutboxAdapter` is
its reference implementation, and `tests/network/contract/` runs one suite against every adapter.

Errors (every adapter raises only these, whatever its client library raises):

    AdapterError
    ├── TransientError        try again later; `maybe_posted` says whether the post may be out
    │   └── RateLimited       try again after `reset_at`
    ├── ChannelBlocked        the network will refuse every post until a person acts (out of
    │   │                     credits, a usage cap, a retired API version): pause the channel
    │   └── AuthError         credentials missing, revoked or expired: pause the channel
    ├── LookupUnavailable     `find_published` cannot read the account's posts at all (the app's
    │                         access tier lacks the endpoint): a post in doubt goes to a person
    └── Rejected              the network refused this post for good (`duplicate` when it was
                              refused as a repeat of an earlier post)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from content_queue.timeutil import Clock, system_clock
from content_queue.views import ItemImage

from ..errors import XensocialError
from ..redaction import redact_text

__all__ = [
    "AccountInfo",
    "Adapter",
    "AdapterError",
    "AuthError",
    "ChannelBlocked",
    "ChannelContext",
    "Engagement",
    "LookupUnavailable",
    "MediaLimits",
    "Post",
    "PostImage",
    "PublishResult",
    "RateLimited",
    "Rejected",
    "TextLimits",
    "TransientError",
]


class AdapterError(XensocialError):
    """Base class of every error an adapter raises.

    Its message is redacted as it is made (`xensocial.redaction`): it is recorded in the
    database, logged and printed, and a network's error often quotes the request it refused,
    token and all."""

    def __init__(self, message: str = "") -> None:
        super().__init__(redact_text(message))


class TransientError(AdapterError):
    """A failure that may pass: a timeout, a 5xx, a dropped connection.

    `maybe_posted` is True when the request may have reached the network (a read timeout, a
    5xx after the body was sent): the post must be looked up before it is sent again."""

    def __init__(self, message: str, *, maybe_posted: bool = False) -> None:
        super().__init__(message)
        self.maybe_posted = maybe_posted


class RateLimited(TransientError):
    """The network asks us to wait until `reset_at` (None: it did not say)."""

    def __init__(self, message: str, *, reset_at: datetime | None = None) -> None:
        super().__init__(message, maybe_posted=False)
        self.reset_at = reset_at


class ChannelBlocked(AdapterError):
    """The network will refuse every post of this channel until a person acts: the account is
    out of credits, a usage cap is reached, the configured API version is retired.

    The channel pauses with this error's message as the reason, so the message says plainly
    what is wrong and what to change ("out of X credits: ..."); the post was not created
    (`maybe_posted` is False), and its item stays queued for `channels resume`."""


class AuthError(ChannelBlocked):
    """The credentials are missing, revoked or expired. The channel pauses; items wait."""


class LookupUnavailable(AdapterError):
    """`find_published` cannot answer, and asking again will not change that: the app's access
    tier may not read the account's posts (X's 403 "client-not-enrolled"). Not a pause: the
    channel may still post; only a post in doubt cannot be settled, so a person decides."""


class Rejected(AdapterError):
    """The network refused this post and will refuse it again (too long, duplicate, policy)."""

    def __init__(self, message: str, *, duplicate: bool = False) -> None:
        super().__init__(message)
        self.duplicate = duplicate


@dataclass(frozen=True)
class TextLimits:
    """How long a post may be on a network, and how its length is counted.

    `max_length` is in the network's own unit (see `xensocial.text.measure`); `url_length` is
    the fixed weight of a link when the network shortens links (X and Mastodon count 23);
    `max_bytes`, when set, is a second cap on the text's size in UTF-8 bytes, which a text of
    emoji or CJK can reach within `max_length` (Bluesky's post lexicon: 300 graphemes and 3,000
    bytes). Rendering, `queue add` and `preview` hold a text to both."""

    max_length: int
    url_length: int | None = None
    max_bytes: int | None = None


@dataclass(frozen=True)
class MediaLimits:
    """Which images a network takes in one post, as its documentation states them.

    `types` are MIME types; `max_bytes` is per image (a larger one may be re-encoded down to
    it by the upload step, `xensocial.media.reencode`: never cropped); `max_pixels` is width
    times height and `max_width`/`max_height` each side (a larger image is refused: it would
    have to be scaled, which staff should choose); `max_images` per post; `alt_max_length` in
    characters (None: the network sets none). `uploads` is False until the adapter's upload
    is built: such a channel refuses every image at add (`rendering.fit`), and its `make_post`
    refuses an item with images, so no image is ever silently dropped. `source` names where
    the figures are documented (shown by `preview` and docs/media.md)."""

    types: frozenset[str] = frozenset()
    max_bytes: int | None = None
    max_pixels: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    max_images: int = 0
    alt_max_length: int | None = None
    uploads: bool = False
    source: str = ""


@dataclass(frozen=True)
class ChannelContext:
    """Everything an adapter is built from: the channel's name and its configuration.

    `secrets` are already resolved from `env:`/`file:` references; adapters must never log them.
    Relative paths in `options` are meant relative to `data_dir`."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    data_dir: Path = Path(".")
    timeout_seconds: float = 10.0
    clock: Clock = system_clock
    # Whether fetches made for the channel (a link card's page) may reach loopback, private
    # and link-local addresses: `[intake] allow_private_addresses`, off by default.
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class PostImage(ItemImage):
    """One image of a post: the item's image (`ItemImage`: SHA-256, type, sizes, alt text,
    "" and `decorative` when staff said it needs none) and its file, `path`, relative to the
    data directory, where the media store keeps it by content address. The adapter reads the
    file when it uploads it."""

    path: str = ""


@dataclass(frozen=True)
class Post:
    """One post to send: the rendered text, and the identity that makes it findable again.

    `images`, in posting order, are every image the item carries: an adapter that cannot post
    them never receives a post with any (`rendering.posts.make_post` refuses it first)."""

    key: str  # the idempotency key: the same for every attempt of one delivery
    channel: str
    item_id: int
    text: str
    url: str
    title: str = ""
    tags: Sequence[str] = ()
    category: str = ""
    images: Sequence[PostImage] = ()


@dataclass(frozen=True)
class PublishResult:
    remote_id: str
    remote_url: str | None
    published_at: datetime


@dataclass(frozen=True)
class Engagement:
    """One reading of a post's counters. None means the network does not give it (not zero)."""

    remote_id: str
    fetched_at: datetime
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    clicks: int | None = None
    bookmarks: int | None = None


@dataclass(frozen=True)
class AccountInfo:
    """Who the credentials post as, as `channels verify` reports it."""

    account: str
    followers: int | None
    url: str | None = None


class Adapter(ABC):
    """One channel on one network.

    Subclasses set `name` (the registry name, e.g. "x") and `limits`, take a `ChannelContext`
    in their constructor (raising `ValueError` with the option's name when an option is wrong,
    and `AuthError` when a needed secret is missing), and do no network I/O until called.
    A daemon may hold an adapter for days before its first call, so a heavy client library is
    best imported, and its client built, on first use (the built-in adapters do: `_lazy`).
    """

    name: ClassVar[str]
    limits: ClassVar[TextLimits]
    media_limits: ClassVar[MediaLimits] = MediaLimits()
    """The images a post may carry on this network (none unless the adapter says otherwise)."""
    lookup_is_reliable: ClassVar[bool] = True
    """True when `find_published` answering None proves the post is not out, so a delivery
    left `publishing` by a crash may be sent again. False sends such deliveries to `unknown`
    for a person to decide."""
    lookup_settles: ClassVar[bool] = False
    """For a network whose lookup is not reliable at once but settles (X: a new post shows in
    the timeline after a while): `find_published` answering None proves the post is not out
    once the settle period (`[publishing] settle`) has passed since the attempt and at least
    two reads found nothing (`xensocial.in_doubt`). Ignored when `lookup_is_reliable`."""
    engagement_batch: ClassVar[int] = 100
    """At most this many ids per `fetch_engagement` call. Set it to the network's batch size
    (1 for a network read one post per request)."""
    followers_reads: ClassVar[int] = 1
    """What one `fetch_followers` call costs against the network's monthly metrics budget
    (`[metrics.budget]`), in reads: see `engagement_reads`."""

    def __init__(self, context: ChannelContext) -> None:
        self.context = context

    @abstractmethod
    def publish(self, post: Post) -> PublishResult:
        """Send `post`. Returns where it landed.

        Raises TransientError (with `maybe_posted`), RateLimited, AuthError or Rejected."""

    @abstractmethod
    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        """Look for `post` (by its key, else its URL) among the account's posts since `since`.

        Returns the post if it is out, None if it is not. Raises TransientError, RateLimited or
        AuthError when it cannot tell now, LookupUnavailable when it never can."""

    @abstractmethod
    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        """Current counters of the given posts (ids as `publish` returned them); posts the
        network no longer has are left out. Raises like `find_published`."""

    def engagement_reads(self, ids: int) -> int:
        """What one `fetch_engagement` call for `ids` ids (1 to `engagement_batch`) costs
        against the network's monthly metrics budget, in the unit the network bills or limits:
        a "read". The default is one read per call, whatever it returns, for networks that count
        requests; a network that bills per post returned (X) answers `ids`. Never smaller for
        more ids; the collector plans with it and records what it says (`xensocial.metrics`)."""
        return 1

    @abstractmethod
    def fetch_followers(self) -> int | None:
        """The account's follower count now (None: the network has no such figure)."""

    @abstractmethod
    def verify(self) -> AccountInfo:
        """Check the credentials live. Raises AuthError when they do not work."""

    def warnings(self) -> Sequence[str]:
        """What a person should know before it breaks, from the configuration alone (no network
        I/O): an API version near its end, a token near its expiry. One line each, naming the
        channel and the key or command that fixes it. `channels verify`, `channels list` and
        the daemon's start show them."""
        return ()

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Release connections. Called once when the daemon stops."""
