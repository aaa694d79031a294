"""A new item, from what its adder gave to the rows the database gets: the checks and the
normalisation every way of adding an item applies.

Why a module of its own, without SQLAlchemy: an item is added by the queue API
(`ContentQueue.add`, `add_many`, through the ORM) and by `xensocial queue add` through plain
DB-API (`fastwrite`), and both must refuse the same input with the same words and write the
same rows. Keeping the rules and the rows here, once, means the two cannot drift apart;
tests/storage/queue/test_fastwrite.py adds the same random items both ways and compares every table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from .errors import DuplicateItem, InvalidItem
from .limits import (
    MAX_IMAGES,
    MAX_TEXT,
    MAX_TITLE,
    nul_problem,
    priority_problem,
    size_problem,
)
from .plaintext import inert
from .timeutil import as_utc
from .urls import canonical_url, validate_url
from .views import ItemImage, NewItem
from .vocabulary import SOURCES, DeliveryState, ItemState

__all__ = [
    "MAX_TEXT",
    "MAX_TITLE",
    "NO_ALT",
    "ItemRows",
    "Stored",
    "check_editorial_times",
    "check_future",
    "check_images",
    "check_new_item",
    "check_times_to_come",
    "clean_tags",
    "evergreen_set",
    "image_rows",
    "item_rows",
    "new_idempotency_key",
    "plain_item",
]


def new_idempotency_key() -> str:
    """A key that names one delivery to the network for ever (sent with the post)."""
    return f"xs-{uuid.uuid4().hex}"


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Tags as stored: inert (`plaintext`), trimmed, without their '#', empty ones dropped."""
    cleaned = (inert(t, "tags").strip() for t in tags)
    return [t.lstrip("#") for t in cleaned if t]


def plain_item(new: NewItem) -> NewItem:
    """`new` with its words inert (`plaintext.inert`: controls and bidi overrides removed, the
    text's line breaks kept); InvalidItem naming the field that is not valid Unicode.

    Every check and every row is made from this, so a title that is only an escape sequence is
    an empty title, and a category that is only one is refused as empty. An item with nothing
    to clean (nearly every one) is returned as it is: `replace` cost an import of 50,000 rows
    about a second."""
    title = inert(new.title, "title")
    text = inert(new.text, "text", multiline=True)
    category = inert(new.category, "category")
    tags = clean_tags(new.tags)
    alt_text = None if new.alt_text is None else inert(new.alt_text, "alt_text", multiline=True)
    same = (title, text, category, alt_text) == (new.title, new.text, new.category, new.alt_text)
    if same and tags == list(new.tags):
        return new
    return replace(new, title=title, text=text, category=category, tags=tags, alt_text=alt_text)


def evergreen_set(categories: Collection[str]) -> frozenset[str]:
    """`[editorial] evergreen_categories` as compared with an item's (normalised) category."""
    return frozenset(c.strip().lower() for c in categories)


def check_new_item(new: NewItem) -> None:
    """Raise InvalidItem naming the first field of `new` that cannot be added as it is
    (see `limits` for what both databases can store)."""
    validate_url(new.url)
    raw, new = new, plain_item(new)
    if not new.channels:
        raise InvalidItem("channels", "at least one target channel is needed")
    too_big = size_problem(
        title=new.title,
        text=new.text,
        category=new.category,
        tags=new.tags,
        alt_text=new.alt_text,
    )  # (the URL's length is validate_url's)
    if too_big is not None and too_big[0] != "category":
        raise InvalidItem(*too_big)
    if not new.category.strip():
        raise InvalidItem("category", "must not be empty")
    if too_big is not None:
        raise InvalidItem(*too_big)
    problem = priority_problem(new.priority)
    if problem is not None:
        raise InvalidItem("priority", problem)
    # A NUL is refused rather than removed: it says the input is a binary file.
    texts = [("title", raw.title), ("text", raw.text), ("category", raw.category)]
    if raw.alt_text is not None:
        texts.append(("alt_text", raw.alt_text))
    nul = nul_problem([*texts, *(("tags", t) for t in raw.tags)])
    if nul is not None:
        raise InvalidItem(*nul)
    if new.source not in SOURCES:
        raise InvalidItem("source", f"{new.source!r} is not one of {', '.join(SOURCES)}")
    check_images(new.images)
    if new.unread_images is not None:
        raise InvalidItem("images", "the images named in the file were not read")
    if new.not_before and new.expires_at and as_utc(new.expires_at) <= as_utc(new.not_before):
        raise InvalidItem("expires_at", "must be later than not_before")
    check_editorial_times(new)


NO_ALT = "every image needs alt text"
_HEX = frozenset("0123456789abcdef")


def check_images(images: Sequence[ItemImage]) -> None:
    """Raise InvalidItem unless `images` can be stored as an item's images: at most
    `MAX_IMAGES`, each named by a SHA-256 in hex, with a type and sizes, and with alt text
    unless marked decorative on purpose (the rule staff meet first in the CLI, kept here too
    so no way of adding an item can store an image nobody described)."""
    if len(images) > MAX_IMAGES:
        raise InvalidItem("images", f"{len(images)} images, at most {MAX_IMAGES}")
    for image in images:
        if len(image.sha256) != 64 or not _HEX.issuperset(image.sha256):
            raise InvalidItem("images", f"{image.sha256[:80]!r} is not a SHA-256 in hex")
        if not image.mime or len(image.mime) > 40:
            raise InvalidItem("images", "an image needs its type (e.g. image/png)")
        if min(image.width, image.height, image.bytes) <= 0:
            raise InvalidItem("images", "an image needs its pixel and byte sizes")
        alt = inert(image.alt, "alt", multiline=True).strip()
        if not alt and not image.decorative:
            raise InvalidItem("images", NO_ALT)
        if len(alt) > MAX_TEXT:
            raise InvalidItem("images", f"alt text of {len(alt)} characters, at most {MAX_TEXT}")
        if "\x00" in image.alt:
            raise InvalidItem("images", "alt text contains a NUL character")


def image_rows(images: Sequence[ItemImage]) -> list[dict[str, Any]]:
    """The `item_images` rows of an item's images (without `item_id`), alt texts made inert.
    A decorative image keeps no words: its alt is stored empty."""
    return [
        {
            "position": n,
            "sha256": image.sha256,
            "mime": image.mime,
            "width": image.width,
            "height": image.height,
            "bytes": image.bytes,
            "alt": "" if image.decorative else inert(image.alt, "alt", multiline=True).strip(),
            "decorative": image.decorative,
        }
        for n, image in enumerate(images)
    ]


def check_editorial_times(new: NewItem) -> None:
    """Raise InvalidItem unless the pinned time and the event date agree with the item's other
    times: a pinned time never breaks the embargo (`not_before`) nor falls after the item
    expires or its event has passed, and nothing about an event is posted after it (so an
    expiry after the event is refused)."""
    pinned = as_utc(new.publish_at) if new.publish_at else None
    event = as_utc(new.event_at) if new.event_at else None
    if pinned is not None and new.not_before and pinned < as_utc(new.not_before):
        raise InvalidItem(
            "publish_at",
            f"the pinned time {pinned.isoformat()} is before the embargo (not_before "
            f"{as_utc(new.not_before).isoformat()}); an embargo is never broken",
        )
    if pinned is not None and new.expires_at and pinned >= as_utc(new.expires_at):
        raise InvalidItem("publish_at", "the pinned time must be before the item expires")
    if event is not None and pinned is not None and pinned >= event:
        raise InvalidItem("publish_at", "the pinned time must be before the event")
    if event is not None and new.expires_at and as_utc(new.expires_at) > event:
        raise InvalidItem(
            "expires_at", "must not be after the event (nothing about it is posted after it)"
        )
    if event is not None and new.not_before and as_utc(new.not_before) >= event:
        raise InvalidItem("not_before", "must be before the event")


def check_future(at: datetime, now: datetime, name: str, what: str) -> None:
    """Raise InvalidItem unless `at` (a pinned time, an event) is after `now`."""
    if at <= now:
        raise InvalidItem(name, f"the {what} {at.isoformat()} is in the past")


def check_times_to_come(new: NewItem, now: datetime) -> None:
    """Raise InvalidItem when `new`'s pinned time or event is not in the future (at add)."""
    if new.publish_at is not None:
        check_future(as_utc(new.publish_at), now, "publish_at", "pinned time")
    if new.event_at is not None:
        check_future(as_utc(new.event_at), now, "event_at", "event")


@dataclass(frozen=True)
class ItemRows:
    """What adding one item writes: the `items` row, one `deliveries` row per target channel
    (without `item_id`, unknown until the item is in), and the detail of its audit entry.
    Column names as in `schema`; times aware UTC, tags a list (each writer stores them its way)."""

    item: dict[str, Any]
    deliveries: list[dict[str, Any]]
    detail: str
    images: list[dict[str, Any]]


class Stored(Protocol):
    """An item already stored, as a write path finds it (an ORM `Item`, an `ItemView`)."""

    @property
    def id(self) -> int: ...

    @property
    def state(self) -> str: ...


def item_rows(
    new: NewItem,
    duplicate_of: Callable[[str], Stored | None] | None,
    *,
    now: datetime,
    evergreen_categories: frozenset[str],
    keys: Sequence[str] = (),
    note: str | None = None,
) -> ItemRows:
    """The rows of `new`, its URL validated and made canonical, and refused (DuplicateItem)
    when `duplicate_of(canonical URL)` finds the item it repeats; `duplicate_of` None: a
    duplicate is allowed (or was looked for already, for a whole batch). Both write paths
    (`ContentQueue`, `fastwrite`) add an item through this, each in its own transaction, so
    they refuse the same URL the same way.

    `keys` gives the deliveries' idempotency keys in channel order (new ones otherwise);
    `note` replaces the audit entry's detail."""
    url = validate_url(new.url)
    canonical = canonical_url(url)
    existing = duplicate_of(canonical) if duplicate_of is not None else None
    if existing is not None:
        raise DuplicateItem(url, existing.id, existing.state)
    new = plain_item(new)
    category = new.category.strip().lower()
    event_at = as_utc(new.event_at) if new.event_at else None
    expires_at = as_utc(new.expires_at) if new.expires_at else None
    if event_at is not None and (expires_at is None or expires_at > event_at):
        expires_at = event_at  # nothing about an event is posted after it
    evergreen = new.evergreen if new.evergreen is not None else category in evergreen_categories
    item = {
        "url": url,
        "canonical_url": canonical,
        "title": new.title.strip(),
        "text": new.text.strip(),
        "category": category,
        "tags": clean_tags(new.tags),
        "source": new.source,
        "priority": new.priority,
        "not_before": as_utc(new.not_before) if new.not_before else None,
        "expires_at": expires_at,
        "state": ItemState.DRAFT.value if new.draft else ItemState.APPROVED.value,
        "created_at": now,
        "created_by": new.created_by,
        "updated_at": now,
        "evergreen": evergreen,
        "alt_text": (new.alt_text or "").strip() or None,
        "publish_at": as_utc(new.publish_at) if new.publish_at else None,
        "event_at": event_at,
    }
    channels = list(dict.fromkeys(new.channels))  # de-duplicated, order kept
    deliveries = [
        {
            "channel": channel,
            "state": DeliveryState.PENDING.value,
            "idempotency_key": keys[n] if n < len(keys) else new_idempotency_key(),
            "attempts": 0,
            "sort_priority": new.priority,
            "sort_category": category,
            "sort_created_at": now,
            "updated_at": now,
        }
        for n, channel in enumerate(channels)
    ]
    detail = note or f"{new.source}: {url} for {', '.join(channels)}" + (
        " (draft)" if new.draft else ""
    )
    if new.images:
        detail += f" with {len(new.images)} image" + ("s" if len(new.images) > 1 else "")
    return ItemRows(item, deliveries, detail, image_rows(new.images))
