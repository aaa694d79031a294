"""Changing an item once it is queued: its fields (`edit_item`) and a channel's own words
(`set_text`), for the posts still to go out.

Its own module because an edit has rules an add does not: a post already out keeps what it
said, so an edit reaches only the deliveries not out, a new link is refused once the item is
out anywhere, and what a post is made from (`POST_FIELDS`) cannot change while one may be going
out; an edited item is then checked as a new one would be (`newitems.check_new_item`), so the
two paths cannot disagree on what an item may be. `ItemEdits` is a part of `ContentQueue`
(which mixes it in).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from .audit import Action, record, shorten
from .changes import Change, assign
from .errors import AlreadyOut, DuplicateItem, InvalidItem, InvalidTransition
from .limits import nul_problem
from .newitems import (
    MAX_TEXT,
    check_future,
    check_images,
    check_new_item,
    clean_tags,
    image_rows,
)
from .plaintext import inert
from .schema import DeliveryState, Item, ItemImageRow, ItemState
from .timeutil import Clock, as_utc
from .urls import canonical_url, validate_url
from .views import ItemImage, ItemView, NewItem, image_of
from .vocabulary import OUT_STATES

__all__ = ["EDITABLE_FIELDS", "POST_FIELDS", "Edited", "ItemEdits"]

EDITABLE_FIELDS = frozenset(
    {
        "url",
        "title",
        "text",
        "category",
        "tags",
        "priority",
        "not_before",
        "expires_at",
        # Editorial control (docs/editorial.md).
        "evergreen",
        "alt_text",
        "publish_at",
        "event_at",
    }
)


POST_FIELDS = frozenset({"url", "title", "text", "category", "tags"})
"""The fields a post is rendered from: what an edit may not change while a post may be going
out (the record, and the lookup after a crash, are made from them)."""


@dataclass(frozen=True)
class Edited:
    """What an edit did: the item after it, the fields that really changed (none: nothing was
    written), and the channels it reaches (`applies_to`: not out yet) and does not (`kept`:
    out there already, where the post keeps what it said)."""

    item: ItemView
    changed: tuple[str, ...]
    applies_to: tuple[str, ...]
    kept: tuple[str, ...]


class ItemEdits:
    """Edit an item's fields and a channel's own text (mixed into `ContentQueue`, which
    provides the session, the clock and the lookups)."""

    _sessions: sessionmaker[Session]
    _clock: Clock
    _load: Callable[[Session, int], Item]
    _duplicate_of: Callable[[Session, str], Item | None]

    def set_text(
        self, item_id: int, channel: str, text: str | None, *, by: str = ""
    ) -> tuple[ItemView, bool]:
        """Give the item its own words on `channel` (`text`), or take them away (None): the
        post on that network uses them instead of the item's text (see `xensocial.rendering`).
        Words it has already change nothing (no time stamp, no audit entry).

        Refused (InvalidItem, InvalidTransition) for a channel the item does not target, a
        delivery that is out or may be (see `vocabulary.OUT_STATES`), a cancelled item, or an empty
        or oversized text."""
        words = None if text is None else inert(text, "text", multiline=True).strip()
        if text is not None and words is not None:
            nul = nul_problem([("text", text)])  # refused, not removed: a binary file
            if nul is not None:
                raise InvalidItem(*nul)
            if not words:
                raise InvalidItem(
                    "text", "must not be empty (to remove the channel's text, clear it)"
                )
            if len(words) > MAX_TEXT:
                raise InvalidItem("text", f"{len(words)} characters, at most {MAX_TEXT}")
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            if item.state == ItemState.CANCELLED:
                raise InvalidTransition(item_id, item.state, "edited")
            delivery = next((d for d in item.deliveries if d.channel == channel), None)
            if delivery is None:
                targets = ", ".join(sorted(d.channel for d in item.deliveries)) or "none"
                raise InvalidItem(
                    "channel", f"item {item_id} is not for {channel!r} (its channels: {targets})"
                )
            if delivery.state in OUT_STATES:
                raise InvalidItem(
                    "channel",
                    f"item {item_id} is already {delivery.state} on {channel}; "
                    "its text there can no longer change",
                )
            if not assign(delivery, {"text_override": words}):
                return ItemView.of(item), False
            now = self._clock()
            delivery.updated_at, item.updated_at = now, now
            detail = f"own text for {channel}: " + (
                "cleared" if words is None else repr(shorten(words))
            )
            record(
                s, Action.EDIT, actor=by, at=now, item_id=item_id, channel=channel, detail=detail
            )
            s.flush()
            return ItemView.of(item), True

    def set_images(
        self, item_id: int, images: Sequence[ItemImage], *, by: str = ""
    ) -> tuple[ItemView, bool]:
        """Replace the item's images with `images` (none: remove them all); the item after it,
        and whether anything changed (the same images change nothing: no time stamp, no audit).

        Refused (AlreadyOut) once the item is out, or may be, on any channel: every post of an
        item carries the same images, and a post out keeps the ones it went out with. Refused
        (InvalidItem) as an add refuses them (`newitems.check_images`)."""
        check_images(images)
        rows = image_rows(images)
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            if item.state == ItemState.CANCELLED:
                raise InvalidTransition(item_id, item.state, "edited")
            out = [(d.channel, d.state) for d in item.deliveries if d.state in OUT_STATES]
            before = tuple(image_of(i) for i in item.images)
            if before == tuple(image_of(ItemImageRow(**r)) for r in rows):
                return ItemView.of(item), False
            if out:
                raise AlreadyOut.images(item_id, out)
            item.images.clear()
            s.flush()  # the old rows go before new ones take their (item, position) keys
            item.images.extend(ItemImageRow(**r) for r in rows)
            item.updated_at = self._clock()
            detail = f"images -> {len(rows)}" + "".join(
                f"; {r['sha256'][:12]} {shorten(r['alt']) if r['alt'] else '(decorative)'!r}"
                for r in rows
            )
            record(s, Action.EDIT, actor=by, at=item.updated_at, item_id=item_id, detail=detail)
            s.flush()
            return ItemView.of(item), True

    def edit_item(
        self,
        item_id: int,
        changes: dict[str, Any],
        *,
        allow_duplicate: bool = False,
        by: str = "",
    ) -> Edited:
        """Change some of an item's fields (see EDITABLE_FIELDS), for the posts still to go out.

        A post already out keeps what it said (its delivery's record), so an edit reaches only
        the deliveries not out (`vocabulary.OUT_STATES`). Refused (AlreadyOut) when it cannot be
        true to that: a new URL once the item is out anywhere (the link went out; a new link is
        a new item), and a change of what a post is made from (POST_FIELDS) while one may be
        going out (its record and the lookup after a crash are made from them). Values equal
        to the current ones change nothing; the fields that did are in the audit log."""
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise InvalidItem(", ".join(sorted(unknown)), "cannot be edited")
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            if item.state == ItemState.CANCELLED:
                raise InvalidTransition(item_id, item.state, "edited")
            values = self._edited_values(item, changes)
            view = ItemView.of(item)
            changing = {n for n, v in values.items() if getattr(item, n) != v}
            self._check_posts(view, changing, values.get("url"))
            if "canonical_url" in changing and not allow_duplicate:
                other = self._duplicate_of(s, values["canonical_url"])
                if other is not None and other.id != item.id:
                    raise DuplicateItem(values["url"], other.id, other.state)
            changed = tuple(sorted(assign(item, values), key=lambda c: c.name))
            for d in item.deliveries:
                if d.state not in OUT_STATES:  # a post out keeps the category it went out in
                    assign(d, {"sort_priority": item.priority, "sort_category": item.category})
            if changed:
                item.updated_at = self._clock()
                detail = "; ".join(_described(c) for c in changed if c.name != "canonical_url")
                record(s, Action.EDIT, actor=by, at=item.updated_at, item_id=item_id, detail=detail)
            s.flush()
            view = ItemView.of(item)
            names = tuple(c.name for c in changed if c.name != "canonical_url")
            return Edited(view, names, view.to_go(), view.out_on())

    def _edited_values(self, item: Item, changes: dict[str, Any]) -> dict[str, Any]:
        """The item's fields after `changes` (normalised as `_insert` does, so an edited item
        looks like a freshly added one), checked as a new item would be. Nothing is set."""
        new: dict[str, Any] = {}
        if "url" in changes:
            url = validate_url(changes["url"])
            new["url"], new["canonical_url"] = url, canonical_url(url)
        # Cleaned as `_insert` cleans (`plaintext.inert`), so an edit cannot bring in what an
        # add would have removed.
        if "title" in changes:
            new["title"] = inert(changes["title"], "title").strip()
        if "text" in changes:
            new["text"] = inert(changes["text"], "text", multiline=True).strip()
        if "category" in changes:
            new["category"] = inert(changes["category"], "category").strip().lower()
        if "priority" in changes:
            new["priority"] = changes["priority"]
        for name in ("not_before", "expires_at", "publish_at"):
            if name in changes:
                new[name] = as_utc(changes[name]) if changes[name] else None
        if "tags" in changes:
            new["tags"] = clean_tags(changes["tags"])
        if "evergreen" in changes:
            new["evergreen"] = bool(changes["evergreen"])
        if "alt_text" in changes:
            alt = inert(changes["alt_text"] or "", "alt_text", multiline=True).strip()
            new["alt_text"] = alt or None
        if "event_at" in changes:
            expires = new["expires_at"] if "expires_at" in changes else item.expires_at
            new["event_at"], new["expires_at"] = _moved_event(
                item.event_at, expires, changes["event_at"], "expires_at" in changes
            )

        def after(name: str) -> Any:
            return new[name] if name in new else getattr(item, name)

        if after("event_at") is not None and after("expires_at") is None:
            new["expires_at"] = after("event_at")  # nothing about an event is posted after it
        now = self._clock()
        if after("publish_at") is not None and after("publish_at") != item.publish_at:
            check_future(after("publish_at"), now, "publish_at", "pinned time")
        if after("event_at") is not None and after("event_at") != item.event_at:
            check_future(after("event_at"), now, "event_at", "event")
        probe = NewItem(
            url=after("url"),
            channels=["-"],
            title=after("title"),
            text=after("text"),
            category=after("category"),
            tags=after("tags"),
            priority=after("priority"),
            not_before=after("not_before"),
            expires_at=after("expires_at"),
            source=item.source,
            alt_text=after("alt_text"),
            publish_at=after("publish_at"),
            event_at=after("event_at"),
        )
        check_new_item(probe)
        return new

    @staticmethod
    def _check_posts(item: ItemView, changing: set[str], url: str | None) -> None:
        """AlreadyOut when the edit would change what a post out, or going out, says."""
        out = [d for d in item.deliveries if d.state in OUT_STATES]
        if not out:
            return
        if "url" in changing:
            raise AlreadyOut.link(item.id, [(d.channel, d.state) for d in out], str(url))
        going = [(d.channel, d.state) for d in out if d.state != DeliveryState.PUBLISHED]
        if going and changing & POST_FIELDS:
            raise AlreadyOut.going(item.id, going, sorted(changing & POST_FIELDS))


def _moved_event(
    event_at: datetime | None, expires_at: datetime | None, new: datetime | None, expiry_given: bool
) -> tuple[datetime | None, datetime | None]:
    """The event date and expiry after moving the event to `new`. Unless the same edit sets
    the expiry, an expiry that was the old date (the default at add) moves with it, and one
    after the new date is brought back to it (an expiry given in the same edit is checked
    instead: see check_editorial_times)."""
    moved = as_utc(new) if new else None
    if not expiry_given:
        if expires_at is not None and expires_at == event_at:
            expires_at = moved
        if moved is not None and expires_at is not None and expires_at > moved:
            expires_at = moved
    return moved, expires_at


def _described(change: Change) -> str:
    """An edit's change as the audit log words it: `title -> New words`."""
    return f"{change.name} -> {shorten(str(change.after))}"
