"""The staff-facing queue API: add (with dedupe), list, show, approve, cancel, edit, import.

Every method runs in its own transaction and returns frozen views (see `views`); each change
(add, edit, approve, cancel, a channel's own text) is written to the audit log in that same
transaction, with who made it (`by`, or an item's `created_by`). The publishing
side (slot claims, delivery outcomes, pauses) is in `ledger`; the choice of the next item is in
`selection`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .audit import Action, record, shorten
from .bulk import BATCH, BulkOutcome, add_rows
from .db import make_sessionmaker
from .errors import DuplicateItem, InvalidItem, InvalidTransition, ItemNotFound, RowError
from .limits import nul_problem
from .newitems import (
    MAX_TEXT,
    check_editorial_times,
    check_future,
    check_new_item,
    check_times_to_come,
    clean_tags,
    evergreen_set,
    item_rows,
    new_idempotency_key,
)
from .plaintext import inert
from .schema import Delivery, DeliveryState, Item, ItemState
from .timeutil import Clock, as_utc, system_clock
from .urls import canonical_url, validate_url
from .views import ItemView, NewItem

__all__ = [
    "EDITABLE_FIELDS",
    "ContentQueue",
    "ImportResult",
    "check_editorial_times",
    "check_new_item",
    "new_idempotency_key",
]

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


@dataclass
class ImportResult:
    """What a bulk add did: rows added, rows skipped as duplicates, rows refused (a
    `bulk.BulkOutcome` that keeps every row)."""

    added: list[tuple[int, ItemView]] = field(default_factory=list)
    duplicates: list[tuple[int, DuplicateItem]] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)

    def on_added(self, line: int, view: ItemView) -> None:
        self.added.append((line, view))

    def on_duplicate(self, line: int, duplicate: DuplicateItem) -> None:
        self.duplicates.append((line, duplicate))

    def on_refused(self, error: RowError) -> None:
        self.refused.append(error)


class ContentQueue:
    """Items and their deliveries, in one database."""

    def __init__(
        self,
        bind: Engine | sessionmaker[Session],
        clock: Clock = system_clock,
        *,
        evergreen_categories: Collection[str] = (),
    ) -> None:
        """`evergreen_categories` (`[editorial] evergreen_categories`): an item added in one of
        them is evergreen unless its adder said otherwise (`NewItem.evergreen`)."""
        self._sessions = make_sessionmaker(bind) if isinstance(bind, Engine) else bind
        self._clock = clock
        self._evergreen_categories = evergreen_set(evergreen_categories)

    # -- reading ---------------------------------------------------------------------------

    def get(self, item_id: int) -> ItemView:
        with self._sessions() as s:
            return ItemView.of(self._load(s, item_id))

    def find_duplicate(self, url: str) -> ItemView | None:
        """The item whose URL is canonically the same as `url`, if any: a live (not cancelled)
        one, or a cancelled one already published on some channel."""
        with self._sessions() as s:
            found = self._duplicate_of(s, canonical_url(url))
            return ItemView.of(found) if found else None

    def list_items(
        self,
        *,
        state: str | None = None,
        channel: str | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[ItemView]:
        """Items, newest first. `state` is an item state (draft, approved, cancelled) or a
        delivery state (pending, publishing, published, failed, unknown): then the items with a
        delivery in that state, on `channel` when one is given."""
        query = select(Item).options(selectinload(Item.deliveries))
        item_states = {s.value for s in ItemState}
        delivery_states = {s.value for s in DeliveryState}
        if state is not None and state not in item_states | delivery_states:
            known = ", ".join(sorted(item_states | delivery_states))
            raise InvalidItem("state", f"{state!r} is not one of {known}")
        if state in item_states:
            query = query.where(Item.state == state)
        if state in delivery_states or channel is not None:
            cond = Delivery.item_id == Item.id
            if channel is not None:
                cond = cond & (Delivery.channel == channel)
            if state in delivery_states:
                cond = cond & (Delivery.state == state)
            query = query.where(exists().where(cond))
        order = Item.id.desc() if newest_first else Item.id.asc()
        query = query.order_by(order).limit(limit).offset(offset)
        with self._sessions() as s:
            return [ItemView.of(i) for i in s.scalars(query)]

    def count_by_state(self) -> dict[str, int]:
        with self._sessions() as s:
            rows = s.execute(select(Item.state, func.count()).group_by(Item.state)).all()
            return {state: n for state, n in rows}

    # -- writing ---------------------------------------------------------------------------

    def add(self, new: NewItem, *, allow_duplicate: bool = False) -> ItemView:
        """Add one item with a pending delivery per target channel.

        Raises InvalidItem for a bad field and DuplicateItem when the URL is already queued or
        published (unless `allow_duplicate`)."""
        check_new_item(new)
        check_times_to_come(new, self._clock())
        with self._sessions.begin() as s:
            item = self._insert(s, new, allow_duplicate=allow_duplicate)
            s.flush()
            return ItemView.of(item)

    def add_many(
        self,
        rows: Iterable[tuple[int, NewItem] | RowError],
        *,
        skip_bad: bool = False,
        allow_duplicate: bool = False,
        path: str = "<rows>",
        admit: Callable[[NewItem], str | None] | None = None,
    ) -> ImportResult:
        """Add several items in one transaction, each row with its line number (a RowError
        among them is a row the reader refused).

        Duplicates (of the database or of an earlier row) are skipped and reported. A bad row
        (`admit(item)`: why an item that is no duplicate cannot be added, or None) aborts the
        whole import with ImportFailed unless `skip_bad`, when it is reported and the good rows
        go in."""
        result = ImportResult()
        self.import_rows(
            rows,
            result,
            skip_bad=skip_bad,
            allow_duplicate=allow_duplicate,
            path=path,
            admit=admit,
        )
        return result

    def import_rows(
        self,
        rows: Iterable[tuple[int, NewItem] | RowError],
        outcome: BulkOutcome[ItemView, DuplicateItem],
        *,
        skip_bad: bool = False,
        allow_duplicate: bool = False,
        path: str = "<rows>",
        admit: Callable[[NewItem], str | None] | None = None,
        commit_each_batch: bool = False,
        stop: Callable[[], bool] | None = None,
        batch: int = BATCH,
    ) -> bool:
        """`add_many`, telling `outcome` about each row as it goes (see `bulk.add_rows` for
        batches, `admit`, `commit_each_batch` and `stop`); False when `stop` cut it short."""
        return add_rows(
            self._sessions,
            rows,
            _ItemRows(self, allow_duplicate),
            DuplicateItem,
            outcome,
            skip_bad=skip_bad,
            path=path,
            admit=admit,
            commit_each_batch=commit_each_batch,
            stop=stop,
            batch=batch,
        )

    def approve(self, item_id: int, *, by: str = "") -> tuple[ItemView, bool]:
        """Approve a draft. Returns the item and whether anything changed (False: was approved)."""
        return self.approve_many([item_id], by=by)[0]

    def approve_many(self, item_ids: Sequence[int], *, by: str = "") -> list[tuple[ItemView, bool]]:
        """Approve drafts in one transaction: every one of them, or none when an id is unknown
        (ItemNotFound) or an item is cancelled (InvalidTransition). Records who approved them
        and when. Each item with whether it changed (False: it was approved already)."""
        with self._sessions.begin() as s:
            out = []
            for item_id in dict.fromkeys(item_ids):
                item = self._load(s, item_id)
                if item.state == ItemState.CANCELLED:
                    raise InvalidTransition(item_id, item.state, "approved (add it again instead)")
                changed = item.state != ItemState.APPROVED
                if changed:
                    now = self._clock()
                    item.state = ItemState.APPROVED.value
                    item.approved_by, item.approved_at, item.updated_at = by, now, now
                    record(s, Action.APPROVE, actor=by, at=now, item_id=item_id, detail="approved")
                s.flush()
                out.append((ItemView.of(item), changed))
            return out

    def cancel(self, item_id: int, *, by: str = "") -> tuple[ItemView, bool]:
        """Cancel an item: nothing more of it is posted. Deliveries already out stay recorded."""
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            was = item.state
            changed = was != ItemState.CANCELLED
            item.state = ItemState.CANCELLED.value
            item.updated_at = self._clock()
            if changed:
                detail = f"cancelled (was {was})"
                record(
                    s, Action.CANCEL, actor=by, at=item.updated_at, item_id=item_id, detail=detail
                )
            s.flush()
            return ItemView.of(item), changed

    def set_text(self, item_id: int, channel: str, text: str | None, *, by: str = "") -> ItemView:
        """Give the item its own words on `channel` (`text`), or take them away (None): the
        post on that network uses them instead of the item's text (see `xensocial.rendering`).

        Refused (InvalidItem, InvalidTransition) for a channel the item does not target, a
        delivery that is out or going out, a cancelled item, or an empty or oversized text."""
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
            if delivery.state in (DeliveryState.PUBLISHING, DeliveryState.PUBLISHED):
                raise InvalidItem(
                    "channel",
                    f"item {item_id} is already {delivery.state} on {channel}; "
                    "its text there can no longer change",
                )
            now = self._clock()
            delivery.text_override, delivery.updated_at, item.updated_at = words, now, now
            detail = f"own text for {channel}: " + (
                "cleared" if words is None else repr(shorten(words))
            )
            record(
                s, Action.EDIT, actor=by, at=now, item_id=item_id, channel=channel, detail=detail
            )
            s.flush()
            return ItemView.of(item)

    def edit(
        self,
        item_id: int,
        changes: dict[str, Any],
        *,
        allow_duplicate: bool = False,
        by: str = "",
    ) -> ItemView:
        """Change some of an item's fields (see EDITABLE_FIELDS); the fields that really
        changed are written to the audit log."""
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise InvalidItem(", ".join(sorted(unknown)), "cannot be edited")
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            if item.state == ItemState.CANCELLED:
                raise InvalidTransition(item_id, item.state, "edited")
            before = {name: getattr(item, name) for name in changes}
            if "url" in changes:
                url = validate_url(changes["url"])
                canon = canonical_url(url)
                if canon != item.canonical_url and not allow_duplicate:
                    other = self._duplicate_of(s, canon)
                    if other is not None and other.id != item.id:
                        raise DuplicateItem(url, other.id, other.state)
                item.url, item.canonical_url = url, canon
            # Normalised as `_insert` does, so an edited item looks like a freshly added one.
            if "title" in changes:
                item.title = inert(changes["title"], "title").strip()
            if "text" in changes:
                item.text = inert(changes["text"], "text", multiline=True).strip()
            if "category" in changes:
                item.category = inert(changes["category"], "category").strip().lower()
            if "priority" in changes:
                item.priority = changes["priority"]
            for name in ("not_before", "expires_at", "publish_at"):
                if name in changes:
                    setattr(item, name, as_utc(changes[name]) if changes[name] else None)
            if "tags" in changes:
                item.tags = clean_tags(changes["tags"])
            if "evergreen" in changes:
                item.evergreen = bool(changes["evergreen"])
            if "alt_text" in changes:
                alt = inert(changes["alt_text"] or "", "alt_text", multiline=True).strip()
                item.alt_text = alt or None
            if "event_at" in changes:
                self._move_event(item, changes["event_at"], "expires_at" in changes)
            if item.event_at is not None and item.expires_at is None:
                item.expires_at = item.event_at  # nothing about an event is posted after it
            if item.publish_at is not None and before.get("publish_at") != item.publish_at:
                check_future(item.publish_at, self._clock(), "publish_at", "pinned time")
            if item.event_at is not None and before.get("event_at") != item.event_at:
                check_future(item.event_at, self._clock(), "event_at", "event")
            probe = NewItem(
                url=item.url,
                channels=["-"],
                title=item.title,
                text=item.text,
                category=item.category,
                tags=item.tags,
                priority=item.priority,
                not_before=item.not_before,
                expires_at=item.expires_at,
                source=item.source,
                alt_text=item.alt_text,
                publish_at=item.publish_at,
                event_at=item.event_at,
            )
            check_new_item(probe)
            for d in item.deliveries:
                d.sort_priority = item.priority
                d.sort_category = item.category
            item.updated_at = self._clock()
            changed = [
                f"{name} -> {shorten(str(getattr(item, name)))}"
                for name in sorted(changes)
                if getattr(item, name) != before[name]
            ]
            if changed:
                detail = "; ".join(changed)
                record(s, Action.EDIT, actor=by, at=item.updated_at, item_id=item_id, detail=detail)
            s.flush()
            return ItemView.of(item)

    # -- internals -------------------------------------------------------------------------

    @staticmethod
    def _move_event(item: Item, event_at: datetime | None, expiry_given: bool) -> None:
        """Set the event date. Unless the same edit sets the expiry, an expiry that was the old
        date (the default at add) moves with it, and one after the new date is brought back to
        it (an expiry given in the same edit is checked instead: see check_editorial_times)."""
        new = as_utc(event_at) if event_at else None
        if not expiry_given:
            if item.expires_at is not None and item.expires_at == item.event_at:
                item.expires_at = new
            if new is not None and item.expires_at is not None and item.expires_at > new:
                item.expires_at = new
        item.event_at = new

    def _load(self, s: Session, item_id: int) -> Item:
        item = s.get(Item, item_id, options=[selectinload(Item.deliveries)])
        if item is None:
            raise ItemNotFound(item_id)
        return item

    def _duplicate_of(self, s: Session, canon: str) -> Item | None:
        found = self._duplicates_of(s, [canon]).get(canon)
        return None if found is None else s.get(Item, found[0])

    @staticmethod
    def _duplicates_of(s: Session, canons: Collection[str]) -> dict[str, tuple[int, str]]:
        """The rule for duplicates, for many canonical URLs in one query (an import's batch):
        each of `canons` that is a duplicate -> the (id, state) of the oldest item it repeats."""
        # A cancelled item no longer counts, unless it already went out on some channel:
        # adding it again would post it there a second time.
        published = exists().where(
            Delivery.item_id == Item.id, Delivery.state == DeliveryState.PUBLISHED.value
        )
        query = (
            select(Item.canonical_url, Item.id, Item.state)
            .where(
                Item.canonical_url.in_(set(canons)),
                or_(Item.state != ItemState.CANCELLED.value, published),
            )
            .order_by(Item.id.desc())  # the oldest last: it is the one kept
        )
        return {canon: (item_id, state) for canon, item_id, state in s.execute(query)}

    def _insert(
        self,
        s: Session,
        new: NewItem,
        *,
        allow_duplicate: bool,
        keys: Sequence[str] = (),
        note: str | None = None,
    ) -> Item:
        """Insert `new` and its pending deliveries in `s`, recorded in the audit log.

        `keys` gives the deliveries' idempotency keys, in channel order (the editorial store
        derives them from what the item is, so a second insert of the same recycle or reminder
        fails on their unique index); `note` replaces the audit entry's detail."""
        url = validate_url(new.url)
        canon = canonical_url(url)
        if not allow_duplicate:
            existing = self._duplicate_of(s, canon)
            if existing is not None:
                raise DuplicateItem(url, existing.id, existing.state)
        now = self._clock()
        rows = item_rows(
            new,
            url=url,
            canonical=canon,
            now=now,
            evergreen_categories=self._evergreen_categories,
            keys=keys,
            note=note,
        )
        item = Item(**rows.item)
        item.deliveries.extend(Delivery(**d) for d in rows.deliveries)
        s.add(item)
        s.flush()  # the id, for the audit entry
        record(s, Action.ADD, actor=new.created_by, at=now, item_id=item.id, detail=rows.detail)
        return item


class _ItemRows:
    """Items as `bulk.add_rows` adds them (a `bulk.BulkKind`): the same checks, rule for
    duplicates and rows as `ContentQueue.add`, the duplicates of a batch found in one query."""

    def __init__(self, queue: ContentQueue, allow_duplicate: bool) -> None:
        self._queue = queue
        self._allow_duplicate = allow_duplicate

    def check(self, new: NewItem) -> NewItem:
        check_new_item(new)
        return new

    def key(self, new: NewItem) -> Hashable | None:
        return None if self._allow_duplicate else canonical_url(new.url)

    def stored(
        self, s: Session, batch: Sequence[NewItem], keys: Sequence[Hashable | None]
    ) -> list[DuplicateItem | None]:
        canons = [str(key) for key in keys if key is not None]
        found = self._queue._duplicates_of(s, canons) if canons else {}
        return [
            DuplicateItem(new.url, *found[key]) if key in found else None
            for new, key in zip(batch, keys, strict=True)
        ]

    def insert(self, s: Session, new: NewItem) -> ItemView:
        # Duplicates were looked for, for the whole batch, by `stored`.
        return ItemView.of(self._queue._insert(s, new, allow_duplicate=True))

    def repeat_of(self, new: NewItem, earlier: ItemView) -> DuplicateItem:
        return DuplicateItem(new.url, earlier.id, earlier.state)
