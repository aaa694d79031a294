"""The staff-facing queue API: add (with dedupe), list, show, approve, cancel, edit, import.

Every method runs in its own transaction and returns frozen views (see `views`); each change
(add, edit, approve, cancel, a channel's own text) is written to the audit log in that same
transaction, with who made it (`by`, or an item's `created_by`). The publishing
side (slot claims, delivery outcomes, pauses) is in `ledger`; the choice of the next item is in
`selection`.

This module holds reading, adding (one item, or many through `bulk`), approving and
cancelling; changing an item already queued (`edit_item`, `set_text`) has rules of its own and
is in `editing`, mixed into `ContentQueue`, so `from content_queue.queue import ...` still finds
every name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from sqlalchemy import String, any_, bindparam, exists, func, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .audit import Action, record
from .bulk import BATCH, BulkOutcome, add_rows
from .changes import assign
from .db import Store
from .duplicates import duplicate_id
from .editing import EDITABLE_FIELDS, POST_FIELDS, Edited, ItemEdits
from .errors import (
    DuplicateItem,
    InvalidItem,
    InvalidTransition,
    ItemNotFound,
    RowError,
)
from .newitems import (
    check_editorial_times,
    check_new_item,
    check_times_to_come,
    evergreen_set,
    item_rows,
    new_idempotency_key,
)
from .schema import Delivery, Item, ItemImageRow, ItemReply, ItemState
from .thread_store import ThreadEdits, ThreadReads
from .timeutil import Clock, system_clock
from .urls import canonical_url
from .views import ItemView, NewItem
from .vocabulary import DELIVERY_STATES, ITEM_STATES, state_problem

__all__ = [
    "EDITABLE_FIELDS",
    "POST_FIELDS",
    "ContentQueue",
    "Edited",
    "ImportResult",
    "check_editorial_times",
    "check_new_item",
    "new_idempotency_key",
]


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


class ContentQueue(ItemEdits, ThreadReads, ThreadEdits, Store):
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
        super().__init__(bind, clock)
        self._evergreen_categories = evergreen_set(evergreen_categories)

    # -- reading ---------------------------------------------------------------------------

    def get(self, item_id: int) -> ItemView:
        with self._sessions() as s:
            return ItemView.of(self._load(s, item_id))

    def find_duplicate(self, url: str) -> ItemView | None:
        """The item `url` duplicates, if any (see `duplicates`): a live item with the same
        canonical URL, or one that posted it on some channel, whatever it became since."""
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
        category: str | None = None,
        search: str | None = None,
        min_priority: int | None = None,
    ) -> list[ItemView]:
        """Items, newest first. `state` is an item state (draft, approved, cancelled) or a
        delivery state (pending, publishing, published, failed, unknown): then the items with a
        delivery in that state, on `channel` when one is given. `search`: words found in the
        title, text or URL (any case); `min_priority`: at least this priority."""
        query = select(Item).options(selectinload(Item.deliveries), selectinload(Item.images))
        if category is not None:
            query = query.where(Item.category == category)
        if min_priority is not None:
            query = query.where(Item.priority >= min_priority)
        if search:
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", search) + "%"
            query = query.where(
                or_(*(c.ilike(pattern, escape="\\") for c in (Item.title, Item.text, Item.url)))
            )
        problem = None if state is None else state_problem(state)
        if problem is not None:
            raise InvalidItem("state", problem)
        if state in ITEM_STATES:
            query = query.where(Item.state == state)
        if state in DELIVERY_STATES or channel is not None:
            cond = Delivery.item_id == Item.id
            if channel is not None:
                cond = cond & (Delivery.channel == channel)
            if state in DELIVERY_STATES:
                cond = cond & (Delivery.state == state)
            query = query.where(exists().where(cond))
        order = Item.id.desc() if newest_first else Item.id.asc()
        query = query.order_by(order).limit(limit).offset(offset)
        with self._sessions() as s:
            return [ItemView.of(i) for i in s.scalars(query)]

    def image_counts(self, item_ids: Iterable[int]) -> dict[int, int]:
        """How many images each of `item_ids` carries (items without any are left out): what
        `schedule` marks its slots with, read in one query."""
        ids = sorted(set(item_ids))
        if not ids:
            return {}
        with self._sessions() as s:
            query = (
                select(ItemImageRow.item_id, func.count())
                .where(ItemImageRow.item_id.in_(ids))
                .group_by(ItemImageRow.item_id)
            )
            return {item_id: n for item_id, n in s.execute(query).all()}

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
                changed = assign(item, {"state": ItemState.APPROVED.value})
                if changed:
                    now = self._clock()
                    item.approved_by, item.approved_at, item.updated_at = by, now, now
                    record(s, Action.APPROVE, actor=by, at=now, item_id=item_id, detail="approved")
                s.flush()
                out.append((ItemView.of(item), bool(changed)))
            return out

    def cancel(self, item_id: int, *, by: str = "") -> tuple[ItemView, bool]:
        """Cancel an item: nothing more of it is posted. Deliveries already out stay recorded.

        Whether it changed anything: not for an item already cancelled, nor for one published
        on every channel it targets (nothing was left to stop: it stays as it is)."""
        with self._sessions.begin() as s:
            item = self._load(s, item_id)
            was = item.state
            if ItemView.of(item).all_published():
                return ItemView.of(item), False
            changes = assign(item, {"state": ItemState.CANCELLED.value})
            if changes:
                item.updated_at = self._clock()
                detail = f"cancelled (was {was})"
                record(
                    s, Action.CANCEL, actor=by, at=item.updated_at, item_id=item_id, detail=detail
                )
            s.flush()
            return ItemView.of(item), bool(changes)

    # -- internals -------------------------------------------------------------------------

    def _load(self, s: Session, item_id: int) -> Item:
        item = s.get(Item, item_id, options=[selectinload(Item.deliveries)])
        if item is None:
            raise ItemNotFound(item_id)
        return item

    def _duplicate_of(self, s: Session, canon: str) -> Item | None:
        """The item `canon` duplicates (the rule and its statements are in `duplicates`)."""

        def first(sql: str, canonical: str) -> int | None:
            found = s.execute(text(sql.replace("?", ":canonical")), {"canonical": canonical})
            value = found.scalar()
            return None if value is None else int(value)

        item_id = duplicate_id(first, canon)
        return None if item_id is None else self._load(s, item_id)

    @staticmethod
    def _duplicates_of(s: Session, canons: Collection[str]) -> dict[str, tuple[int, str]]:
        """`duplicates`' rule for many canonical URLs at once (an import's batch, one query per
        lookup): each of `canons` that is a duplicate -> the (id, state) of the oldest item it
        repeats. The same two lookups as `duplicates.DUPLICATE_QUERIES` (a live item's URL, and
        a link recorded on a published delivery), in one statement per batch."""
        wanted = sorted(set(canons))
        among: Callable[[Any], Any]
        if s.get_bind().dialect.name == "postgresql":
            # One array parameter: an IN list of a batch's 500 URLs, twice, made psycopg parse
            # a query of 1,000 placeholders per batch (a third of a 50,000-row import's time).
            array = bindparam("canons", wanted, type_=ARRAY(String))
            among = lambda column: column == any_(array)  # noqa: E731
        else:
            among = lambda column: column.in_(wanted)  # noqa: E731
        live = select(Item.canonical_url, Item.id, Item.state).where(
            among(Item.canonical_url), Item.state != ItemState.CANCELLED.value
        )
        posted = (
            select(Delivery.posted_canonical_url, Item.id, Item.state)
            .join(Item, Item.id == Delivery.item_id)
            .where(among(Delivery.posted_canonical_url))
        )
        found: dict[str, tuple[int, str]] = {}
        # One statement; the union's column types are lost on the way, so they are said here.
        rows = cast("list[tuple[str | None, int, str]]", s.execute(union_all(live, posted)).all())
        for canon, item_id, state in rows:
            if canon is not None and (canon not in found or item_id < found[canon][0]):
                found[canon] = (item_id, state)
        return found

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
        now = self._clock()
        rows = item_rows(
            new,
            None if allow_duplicate else partial(self._duplicate_of, s),
            now=now,
            evergreen_categories=self._evergreen_categories,
            keys=keys,
            note=note,
        )
        item = Item(**rows.item)
        item.deliveries.extend(Delivery(**d) for d in rows.deliveries)
        item.images.extend(ItemImageRow(**i) for i in rows.images)
        s.add(item)
        s.flush()  # the id, for the audit entry (and the thread's rows)
        s.add_all(ItemReply(item_id=item.id, **r) for r in rows.replies)
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
