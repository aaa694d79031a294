"""Read-only snapshots of queue rows, handed out by the queue API.

Callers (the CLI, the daemon) get plain frozen values, never live ORM objects, so nothing outside
this package can lazy-load, or change a row by accident, after its session has closed. The same
views come from `fastread` (plain sqlite3), so this module must not import SQLAlchemy at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .vocabulary import OUT_STATES, DeliveryState

if TYPE_CHECKING:  # the views themselves need no SQLAlchemy: `fastread` builds them from sqlite3
    from .schema import Delivery, Item

__all__ = ["DeliveryView", "ItemImage", "ItemView", "NewItem", "Posted"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ItemImage:
    """One image attached to an item, as the queue keeps it: its content address (`sha256`,
    which names the file in the service's media folder), what its bytes are (`mime`, pixel
    size, byte size: read from the bytes by the service, never from a file name), and its alt
    text. `decorative` is True only when staff said on purpose that the image needs none
    (`--alt ""`): an empty alt is otherwise refused (`newitems.check_images`). The queue stores
    no file and knows nothing of networks; an item's images are in the order they are posted."""

    sha256: str
    mime: str
    width: int
    height: int
    bytes: int
    alt: str
    decorative: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "alt": self.alt,
            "decorative": self.decorative,
        }


@dataclass(frozen=True)
class NewItem:
    """An item to add. `channels` must name at least one channel (the caller resolves "all")."""

    url: str
    channels: Sequence[str]
    title: str = ""
    text: str = ""
    category: str = "news"
    tags: Sequence[str] = ()
    source: str = "manual"
    priority: int = 0
    not_before: datetime | None = None
    expires_at: datetime | None = None
    draft: bool = False
    created_by: str = ""
    # Editorial control (docs/editorial.md). `evergreen` None: the queue's defaults decide (its
    # evergreen categories); `publish_at` pins the item to that instant; `event_at` is the date
    # of the event the item announces (reminders before it, nothing after it).
    evergreen: bool | None = None
    alt_text: str | None = None
    publish_at: datetime | None = None
    event_at: datetime | None = None
    images: Sequence[ItemImage] = ()  # at most `limits.MAX_IMAGES`, in posting order
    # The `images` and `alts` cells of a CSV row (`csvimport`), as written: the queue reads no
    # file, so the service reads them into `images` before the item is added (an item still
    # carrying any is refused: `newitems.check_images`).
    unread_images: tuple[str, str] | None = None


@dataclass(frozen=True)
class Posted:
    """What one delivery put on the network, kept from the moment it was published: the title,
    the text as rendered for that network, the link as posted (UTM parameters included), the
    tags and the media (each image's content address and alt text, as `ItemImage.as_dict`
    gives them; empty for a post without images). Reports and exports read this, never
    the item's current fields, which a later edit may change."""

    title: str
    text: str
    url: str
    tags: tuple[str, ...] = ()
    media: tuple[Any, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "tags": list(self.tags),
            "media": list(self.media),
        }


@dataclass(frozen=True)
class DeliveryView:
    id: int
    item_id: int
    channel: str
    state: str
    idempotency_key: str
    attempts: int
    last_error: str | None
    remote_id: str | None
    remote_url: str | None
    published_at: datetime | None
    owner: str | None = None
    text_override: str | None = None  # staff's own words for this channel (see rendering)
    posted: Posted | None = None  # what went out, once published

    @classmethod
    def of(cls, d: Delivery) -> DeliveryView:
        return cls(
            id=d.id,
            item_id=d.item_id,
            channel=d.channel,
            state=d.state,
            idempotency_key=d.idempotency_key,
            attempts=d.attempts,
            last_error=d.last_error,
            remote_id=d.remote_id,
            remote_url=d.remote_url,
            published_at=d.published_at,
            owner=d.owner,
            text_override=d.text_override,
            posted=posted_of(
                d.posted_title, d.posted_text, d.posted_url, d.posted_tags, d.posted_media
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "state": self.state,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "remote_id": self.remote_id,
            "remote_url": self.remote_url,
            "published_at": _iso(self.published_at),
            "idempotency_key": self.idempotency_key,
            "posted": self.posted.as_dict() if self.posted is not None else None,
        }


def posted_of(
    title: str | None, text: str | None, url: str | None, tags: Any, media: Any
) -> Posted | None:
    """The record of a delivery's `posted_*` columns (as stored; None: not published)."""
    if url is None:
        return None
    return Posted(title or "", text or "", url, tuple(tags or ()), tuple(media or ()))


@dataclass(frozen=True)
class ItemView:
    id: int
    url: str
    canonical_url: str
    title: str
    text: str
    category: str
    tags: tuple[str, ...]
    source: str
    priority: int
    not_before: datetime | None
    expires_at: datetime | None
    state: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    deliveries: tuple[DeliveryView, ...] = field(default=())
    evergreen: bool = False
    alt_text: str | None = None
    publish_at: datetime | None = None  # pinned: posted at this exact time
    event_at: datetime | None = None
    recycled_from: int | None = None  # a recycled evergreen post: the original item
    reminder_of: int | None = None  # an event reminder: the event's item
    images: tuple[ItemImage, ...] = ()  # in posting order

    @classmethod
    def of(cls, item: Item, *, with_deliveries: bool = True) -> ItemView:
        return cls(
            id=item.id,
            url=item.url,
            canonical_url=item.canonical_url,
            title=item.title,
            text=item.text,
            category=item.category,
            tags=tuple(item.tags or ()),
            source=item.source,
            priority=item.priority,
            not_before=item.not_before,
            expires_at=item.expires_at,
            state=item.state,
            created_at=item.created_at,
            created_by=item.created_by,
            updated_at=item.updated_at,
            # Sorted here too: a freshly added item's list is in insertion order, not loaded.
            deliveries=tuple(
                DeliveryView.of(d) for d in sorted(item.deliveries, key=lambda d: d.channel)
            )
            if with_deliveries
            else (),
            evergreen=bool(item.evergreen),
            alt_text=item.alt_text,
            publish_at=item.publish_at,
            event_at=item.event_at,
            recycled_from=item.recycled_from,
            reminder_of=item.reminder_of,
            images=tuple(image_of(i) for i in sorted(item.images, key=lambda i: i.position)),
        )

    def delivery(self, channel: str) -> DeliveryView | None:
        return next((d for d in self.deliveries if d.channel == channel), None)

    def out_on(self) -> tuple[str, ...]:
        """The channels where the item is out, or may be (see OUT_STATES)."""
        return tuple(d.channel for d in self.deliveries if d.state in OUT_STATES)

    def to_go(self) -> tuple[str, ...]:
        """The channels where it is not out: still to be posted, or failed (a retry posts it)."""
        return tuple(d.channel for d in self.deliveries if d.state not in OUT_STATES)

    def all_published(self) -> bool:
        """Out on every channel it targets: nothing of it is left to post."""
        return bool(self.deliveries) and all(
            d.state == DeliveryState.PUBLISHED for d in self.deliveries
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "text": self.text,
            "category": self.category,
            "tags": list(self.tags),
            "source": self.source,
            "priority": self.priority,
            "not_before": _iso(self.not_before),
            "expires_at": _iso(self.expires_at),
            "state": self.state,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
            "updated_at": _iso(self.updated_at),
            "deliveries": [d.as_dict() for d in self.deliveries],
            "evergreen": self.evergreen,
            "alt_text": self.alt_text,
            "publish_at": _iso(self.publish_at),
            "event_at": _iso(self.event_at),
            "recycled_from": self.recycled_from,
            "reminder_of": self.reminder_of,
            "images": [i.as_dict() for i in self.images],
        }


def image_of(row: Any) -> ItemImage:
    """An `item_images` row (ORM object or anything with its column names) as a view."""
    return ItemImage(
        sha256=row.sha256,
        mime=row.mime,
        width=row.width,
        height=row.height,
        bytes=row.bytes,
        alt=row.alt,
        decorative=bool(row.decorative),
    )
