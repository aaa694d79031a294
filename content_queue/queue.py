"""The staff-facing queue API: add (with dedupe), list, show, approve, cancel, edit, import.

Every method runs in its own transaction and returns frozen views (see `views`). The publishing
side (slot claims, delivery outcomes, pauses) is in `ledger`; the choice of the next item is in
`selection`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .db import make_sessionmaker
from .errors import DuplicateItem, InvalidItem, InvalidTransition, ItemNotFound, RowError
from .schema import Delivery, DeliveryState, Item, ItemSource, ItemState
from .timeutil import Clock, as_utc, system_clock
from .urls import canonical_url, validate_url
from .views import ItemView, NewItem

__all__ = ["EDITABLE_FIELDS", "ContentQueue", "ImportResult", "new_idempotency_key"]

EDITABLE_FIELDS = frozenset(
    {"url", "title", "text", "category", "tags", "priority", "not_before", "expires_at"}
)
_MAX_TITLE = 1000
_MAX_TEXT = 10_000


def new_idempotency_key() -> str:
    """A key that names one delivery to the network for ever (sent with the post)."""
    return f"xs-{uuid.uuid4().hex}"


@dataclass
class ImportResult:
    """What a bulk add did: rows added, rows skipped as duplicates, rows refused."""

    added: list[tuple[int, ItemView]] = field(default_factory=list)
    duplicates: list[tuple[int, DuplicateItem]] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)


def _check(new: NewItem) -> None:
    validate_url(new.url)
    if not new.channels:
        raise InvalidItem("channels", "at least one target channel is needed")
    if len(new.title) > _MAX_TITLE:
        raise InvalidItem("title", f"{len(new.title)} characters, at most {_MAX_TITLE}")
    if len(new.text) > _MAX_TEXT:
        raise InvalidItem("text", f"{len(new.text)} characters, at most {_MAX_TEXT}")
    if not new.category.strip():
        raise InvalidItem("category", "must not be empty")
    try:
        ItemSource(new.source)
    except ValueError:
        raise InvalidItem("source", f"{new.source!r} is not one of manual, csv, feed") from None
    if new.not_before and new.expires_at and as_utc(new.expires_at) <= as_utc(new.not_before):
        raise InvalidItem("expires_at", "must be later than not_before")


def _clean_tags(tags: Sequence[str]) -> list[str]:
    return [t.strip().lstrip("#") for t in tags if t.strip()]


class ContentQueue:
    """Items and their deliveries, in one database."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        self._sessions = make_sessionmaker(bind) if isinstance(bind, Engine) else bind
        self._clock = clock

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
        _check(new)
        with self._sessions.begin() as s:
            item = self._insert(s, new, allow_duplicate=allow_duplicate)
            s.flush()
            return ItemView.of(item)

    def add_many(
        self,
        rows: Sequence[tuple[int, NewItem]],
        *,
        skip_bad: bool = False,
        allow_duplicate: bool = False,
        path: str = "<rows>",
    ) -> ImportResult:
        """Add several items in one transaction, each row with its line number.

        Duplicates (of the database or of an earlier row) are skipped and reported. A bad row
        aborts the whole import with ImportFailed unless `skip_bad`, when it is reported and the
        good rows go in."""
        from .errors import ImportFailed

        result = ImportResult()
        with self._sessions.begin() as s:
            for line, new in rows:
                try:
                    _check(new)
                    with s.begin_nested():
                        item = self._insert(s, new, allow_duplicate=allow_duplicate)
                        s.flush()
                    result.added.append((line, ItemView.of(item)))
                except DuplicateItem as dup:
                    result.duplicates.append((line, dup))
                except InvalidItem as bad:
                    result.refused.append(RowError(line, str(bad)))
            if result.refused and not skip_bad:
                s.rollback()
                raise ImportFailed(path, result.refused)
        return result

    def approve(self, item_id: int, *, by: str = "") -> tuple[ItemView, bool]:
        """Approve a draft. Returns the item and whether anything changed (False: was approved)."""
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            if item.state == ItemState.CANCELLED:
                raise InvalidTransition(item_id, item.state, "approved (add it again instead)")
            changed = item.state != ItemState.APPROVED
            item.state = ItemState.APPROVED.value
            item.updated_at = self._clock()
            s.flush()
            return ItemView.of(item), changed

    def cancel(self, item_id: int, *, by: str = "") -> tuple[ItemView, bool]:
        """Cancel an item: nothing more of it is posted. Deliveries already out stay recorded."""
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            changed = item.state != ItemState.CANCELLED
            item.state = ItemState.CANCELLED.value
            item.updated_at = self._clock()
            s.flush()
            return ItemView.of(item), changed

    def edit(
        self, item_id: int, changes: dict[str, Any], *, allow_duplicate: bool = False
    ) -> ItemView:
        """Change some of an item's fields (see EDITABLE_FIELDS)."""
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise InvalidItem(", ".join(sorted(unknown)), "cannot be edited")
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            if item.state == ItemState.CANCELLED:
                raise InvalidTransition(item_id, item.state, "edited")
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
                item.title = changes["title"].strip()
            if "text" in changes:
                item.text = changes["text"].strip()
            if "category" in changes:
                item.category = changes["category"].strip().lower()
            if "priority" in changes:
                item.priority = changes["priority"]
            for name in ("not_before", "expires_at"):
                if name in changes:
                    setattr(item, name, as_utc(changes[name]) if changes[name] else None)
            if "tags" in changes:
                item.tags = _clean_tags(changes["tags"])
            probe = NewItem(
                url=item.url,
                channels=["-"],
                title=item.title,
                text=item.text,
                category=item.category,
                not_before=item.not_before,
                expires_at=item.expires_at,
                source=item.source,
            )
            _check(probe)
            for d in item.deliveries:
                d.sort_priority = item.priority
            item.updated_at = self._clock()
            s.flush()
            return ItemView.of(item)

    # -- internals -------------------------------------------------------------------------

    def _load(self, s: Session, item_id: int) -> Item:
        item = s.get(Item, item_id, options=[selectinload(Item.deliveries)])
        if item is None:
            raise ItemNotFound(item_id)
        return item

    def _duplicate_of(self, s: Session, canon: str) -> Item | None:
        # A cancelled item no longer counts, unless it already went out on some channel:
        # adding it again would post it there a second time.
        published = exists().where(
            Delivery.item_id == Item.id, Delivery.state == DeliveryState.PUBLISHED.value
        )
        query = (
            select(Item)
            .where(
                Item.canonical_url == canon,
                or_(Item.state != ItemState.CANCELLED.value, published),
            )
            .order_by(Item.id)
            .limit(1)
        )
        return s.scalars(query).first()

    def _insert(self, s: Session, new: NewItem, *, allow_duplicate: bool) -> Item:
        url = validate_url(new.url)
        canon = canonical_url(url)
        if not allow_duplicate:
            existing = self._duplicate_of(s, canon)
            if existing is not None:
                raise DuplicateItem(url, existing.id, existing.state)
        now = self._clock()
        item = Item(
            url=url,
            canonical_url=canon,
            title=new.title.strip(),
            text=new.text.strip(),
            category=new.category.strip().lower(),
            tags=_clean_tags(new.tags),
            source=new.source,
            priority=new.priority,
            not_before=as_utc(new.not_before) if new.not_before else None,
            expires_at=as_utc(new.expires_at) if new.expires_at else None,
            state=(ItemState.DRAFT if new.draft else ItemState.APPROVED).value,
            created_at=now,
            created_by=new.created_by,
            updated_at=now,
        )
        for channel in dict.fromkeys(new.channels):  # de-duplicated, order kept
            item.deliveries.append(
                Delivery(
                    channel=channel,
                    state=DeliveryState.PENDING.value,
                    idempotency_key=new_idempotency_key(),
                    attempts=0,
                    sort_priority=new.priority,
                    sort_created_at=now,
                    updated_at=now,
                )
            )
        s.add(item)
        return item
