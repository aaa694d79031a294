"""The database side of editorial selection: what a channel has to offer a slot, and the items
selection makes (recycled evergreen posts, event reminders).

`ChannelSupply` answers `selection.Supply` with one small query per question, each served by an
index, so a slot's cost does not grow with the queue:

- a category's best item walks `ix_deliveries_category` (channel, state, category, then rank
  order) and stops at the first eligible row; the rest of the queue walks
  `ix_deliveries_selection` as before;
- pinned items are found through `ix_items_publish_at`, events and reminders through
  `ix_items_event_at` (only events still to come), evergreen originals through
  `ix_items_evergreen`: each a handful of rows, whatever the queue holds;
- the mix's counts read the channel's posts in the window through
  `ix_deliveries_channel_published`.

`EditorialStore.make_recycle` and `make_reminder` insert the new item with a delivery key derived
from what it is (`recycling.recycle_key`, `events.reminder_key`): a second insert of the same
repeat or reminder, by a replica or after a crash, fails on the key's unique index and makes
nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .db import make_sessionmaker
from .events import Event, ReminderDue, reminder_due, reminder_key, reminders_made
from .forecast import Snapshot
from .ledger import Ledger, candidates_query
from .queue import ContentQueue
from .recycling import Evergreen, Reading, RecycleRules, best, engagement_score, recycle_key
from .schema import Delivery, DeliveryState, EngagementSample, Item, ItemState
from .selection import ANNOUNCEMENT, Candidate, Choice, Rules, pick
from .timeutil import Clock, system_clock
from .views import NewItem

__all__ = ["ChannelSupply", "EditorialStore"]


def _live(now: datetime) -> list[ColumnElement[bool]]:
    """An approved item that has not expired at `now` and whose embargo has passed."""
    return [
        Item.state == ItemState.APPROVED.value,
        or_(Item.expires_at.is_(None), Item.expires_at > now),
        or_(Item.not_before.is_(None), Item.not_before <= now),
    ]


# The fields of `selection.Candidate`, in its order.
_CANDIDATE_COLUMNS = (
    Delivery.id,
    Item.id,
    Delivery.channel,
    Item.priority,
    Item.created_at,
    Item.state,
    Delivery.state,
    Item.not_before,
    Item.expires_at,
    Item.title,
    Item.url,
    Item.category,
    Item.publish_at,
    Item.reminder_of,
)


# -- the questions, each in the caller's session ----------------------------------------


def _published_by_category(s: Session, channel: str, since: datetime) -> dict[str, int]:
    """The channel's posts since `since`, by category (the item's, as it is now)."""
    query = (
        select(Delivery.sort_category, func.count())
        .where(
            Delivery.channel == channel,
            Delivery.published_at >= since,
            Delivery.state == DeliveryState.PUBLISHED.value,
        )
        .group_by(Delivery.sort_category)
    )
    return {category: n for category, n in s.execute(query)}


def _events(
    s: Session, channel: str, now: datetime, offsets: Sequence[timedelta], until: datetime
) -> list[Event]:
    """Events of `channel` still to come, within the largest reminder offset of `until`,
    soonest first, with when their own item went out there (None: not yet) and the reminders
    already made."""
    if not offsets:
        return []
    published = case(
        (Delivery.state == DeliveryState.PUBLISHED.value, Delivery.published_at), else_=None
    )
    query = (
        select(Item, published)
        .join(Delivery, Delivery.item_id == Item.id)
        .where(
            Item.event_at > now,
            Item.event_at <= until + max(offsets),
            Item.reminder_of.is_(None),
            Item.state == ItemState.APPROVED.value,
            Delivery.channel == channel,
        )
        .order_by(Item.event_at, Item.id)
    )
    rows = s.execute(query).all()
    events = [
        Event(
            item_id=i.id,
            channel=channel,
            event_at=i.event_at,
            published_at=published_at,
            title=i.title,
            url=i.url,
            category=i.category,
            priority=i.priority,
        )
        for i, published_at in rows
        if i.event_at is not None
    ]
    keys = [reminder_key(e.item_id, o, channel) for e in events for o in offsets]
    existing = (
        set(s.scalars(select(Delivery.idempotency_key).where(Delivery.idempotency_key.in_(keys))))
        if keys
        else set()
    )
    return [replace(e, made=reminders_made(existing, e, offsets)) for e in events]


def _evergreens(s: Session, channel: str, now: datetime) -> list[Evergreen]:
    """The evergreen originals that went out on `channel` and may still be posted (approved,
    not expired, not embargoed), with their history there and their engagement."""
    originals = (
        select(Item, func.max(Delivery.published_at))
        .join(Delivery, Delivery.item_id == Item.id)
        .where(
            Item.evergreen.is_(True),
            Item.recycled_from.is_(None),
            *_live(now),
            Delivery.channel == channel,
            Delivery.state == DeliveryState.PUBLISHED.value,
        )
        .group_by(Item.id)
    )
    found = {i.id: (i, published) for i, published in s.execute(originals)}
    if not found:
        return []
    recycles = s.execute(
        select(
            Item.recycled_from,
            func.count(func.distinct(Item.id)),
            func.max(Item.created_at),
            func.max(Delivery.published_at),
        )
        .join(Delivery, Delivery.item_id == Item.id)
        .where(Item.recycled_from.in_(list(found)), Delivery.channel == channel)
        .group_by(Item.recycled_from)
    ).all()
    history = {orig: (n, made, posted) for orig, n, made, posted in recycles}
    scores = _scores(s, list(found))
    out = []
    for item_id, (item, published) in found.items():
        repeats, made, posted = history.get(item_id, (0, None, None))
        last_seen = max(t for t in (published, made, posted) if t is not None)
        out.append(
            Evergreen(
                item_id=item_id,
                channel=channel,
                category=item.category,
                last_seen=last_seen,
                repeats=repeats,
                score=scores.get(item_id, 0.0),
                title=item.title,
                url=item.url,
                priority=item.priority,
            )
        )
    return out


def _scores(s: Session, originals: list[int]) -> dict[int, float]:
    """Each original's engagement score, over its own and its recycles' posts on every
    channel (see `recycling.engagement_score`)."""
    origin = func.coalesce(Item.recycled_from, Item.id)
    posts = dict(
        s.execute(
            select(Delivery.id, origin)
            .join(Item, Item.id == Delivery.item_id)
            .where(
                or_(Item.id.in_(originals), Item.recycled_from.in_(originals)),
                Delivery.state == DeliveryState.PUBLISHED.value,
            )
        ).all()
    )
    if not posts:
        return {}
    readings: dict[int, list[Reading]] = {}
    samples = select(EngagementSample).where(EngagementSample.delivery_id.in_(list(posts)))
    for r in s.scalars(samples):
        counts = (r.likes, r.reposts, r.replies, r.quotes)
        known = [n for n in counts if n is not None]
        total = sum(known) if known else None
        readings.setdefault(posts[r.delivery_id], []).append(
            Reading(r.delivery_id, r.age_seconds, total)
        )
    return {orig: engagement_score(rs) for orig, rs in readings.items()}


class ChannelSupply:
    """`selection.Supply` for one channel at one time, from the database (see the module
    docstring), every question in one read session (`EditorialStore.supply` opens and closes
    it): one connection and one transaction for a whole slot's choice. The evergreen originals
    are read once, on first need."""

    def __init__(self, store: EditorialStore, s: Session, channel: str, now: datetime) -> None:
        self._store, self._s, self.channel, self.now = store, s, channel, now
        self._evergreens: list[Evergreen] | None = None
        self._ranked: Select[Delivery, Item] | None = None

    def _first(
        self, *where: ColumnElement[bool], order_by: Sequence[ColumnElement[Any]] = ()
    ) -> Candidate | None:
        # Plain columns, not ORM objects, and the eligibility conditions built once: a slot
        # asks several of these, and building them cost more than the queries themselves.
        if order_by:
            base = candidates_query(self.channel, self.now, limit=1, order_by=order_by)
        else:
            if self._ranked is None:
                self._ranked = candidates_query(self.channel, self.now, limit=1)
            base = self._ranked
        query = base.where(*where).with_only_columns(*_CANDIDATE_COLUMNS)
        row = self._s.execute(query).first()
        return Candidate(*row) if row is not None else None

    def pinned(self) -> Candidate | None:
        return self._first(
            Item.publish_at.is_not(None),
            Item.publish_at <= self.now,  # a bound the index range can use
            order_by=(Item.publish_at.asc(),),
        )

    def best_in(self, category: str) -> Candidate | None:
        return self._first(Delivery.sort_category == category)

    def best_outside(self, categories: Collection[str]) -> Candidate | None:
        if not categories:
            return self._first()
        return self._first(Delivery.sort_category.not_in(list(categories)))

    def reminder(self, offsets: Sequence[timedelta]) -> Candidate | ReminderDue | None:
        made = self._first(
            Item.reminder_of.is_not(None),
            Item.event_at > self.now,
            order_by=(Item.event_at.asc(),),
        )
        if made is not None:
            return made
        for event in _events(self._s, self.channel, self.now, offsets, self.now):
            offset = reminder_due(event, self.now, offsets)
            if offset is not None:
                return ReminderDue(event, offset)
        return None

    def recyclable(self, rules: RecycleRules, category: str | None) -> Evergreen | None:
        if self._evergreens is None:
            self._evergreens = _evergreens(self._s, self.channel, self.now)
        return best(self._evergreens, self.now, rules, category)

    def published(self, since: datetime) -> Mapping[str, int]:
        return _published_by_category(self._s, self.channel, since)


class EditorialStore:
    """Editorial reads and writes in the queue's database (see the module docstring)."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        self._sessions = make_sessionmaker(bind) if isinstance(bind, Engine) else bind
        self._clock = clock
        self.ledger = Ledger(self._sessions, clock)
        self._queue = ContentQueue(self._sessions, clock)

    @classmethod
    def of(cls, ledger: Ledger) -> EditorialStore:
        """The store on the database (and clock) of `ledger`."""
        return cls(ledger._sessions, ledger._clock)

    @contextmanager
    def supply(self, channel: str, now: datetime) -> Iterator[ChannelSupply]:
        """What `channel` offers a slot at `now`, in one read session closed on leaving."""
        with self._sessions() as s:
            yield ChannelSupply(self, s, channel, now)

    def choose(self, channel: str, now: datetime, rules: Rules) -> Choice | None:
        """`selection.pick` for a slot of `channel` at `now`, from the database."""
        with self.supply(channel, now) as supply:
            return pick(supply, rules, now)

    # -- reading ---------------------------------------------------------------------------

    def published_by_category(self, channel: str, since: datetime) -> dict[str, int]:
        """The channel's posts since `since`, by category (the item's, as it is now)."""
        with self._sessions() as s:
            return _published_by_category(s, channel, since)

    def pinned_times(self, channel: str, start: datetime, end: datetime) -> list[datetime]:
        """The distinct pinned times in [start, end] of items waiting to go out on `channel`."""
        query = (
            select(Item.publish_at)
            .join(Delivery, Delivery.item_id == Item.id)
            .where(
                Item.publish_at >= start,
                Item.publish_at <= end,
                Item.state == ItemState.APPROVED.value,
                Delivery.channel == channel,
                Delivery.state == DeliveryState.PENDING.value,
            )
            .distinct()
            .order_by(Item.publish_at)
        )
        with self._sessions() as s:
            return [at for at in s.scalars(query) if at is not None]

    def events(
        self,
        channel: str,
        now: datetime,
        offsets: Sequence[timedelta],
        *,
        until: datetime | None = None,
    ) -> list[Event]:
        """Events of `channel` still to come, within the largest reminder offset of `until`
        (default `now`), soonest first, with when their own item went out there (None: not
        yet) and the reminders already made."""
        with self._sessions() as s:
            return _events(s, channel, now, offsets, until or now)

    def evergreens(self, channel: str, now: datetime) -> list[Evergreen]:
        """The evergreen originals that went out on `channel` and may still be posted (approved,
        not expired, not embargoed), with their history there and their engagement."""
        with self._sessions() as s:
            return _evergreens(s, channel, now)

    def snapshot(
        self, channel: str, now: datetime, rules: Rules, *, until: datetime, slots: int
    ) -> Snapshot:
        """What the forecast of `channel`'s next `slots` slots (up to `until`) needs: per
        category the first `slots` pending items in rank order (no slot can take more), pinned
        and embargoed ones included, the evergreen originals, the events, and the window's
        posts."""
        categories = [ANNOUNCEMENT, *(rules.mix.categories if rules.mix else ())]
        pools: list[list[ColumnElement[bool]]] = [[Delivery.sort_category == c] for c in categories]
        pools.append([Delivery.sort_category.not_in(categories)])
        pools.append([Item.publish_at.is_not(None)])
        pools.append([Item.reminder_of.is_not(None), Item.event_at > now])
        found: dict[int, Candidate] = {}
        for where in pools:
            for c in self.ledger.candidates(
                channel, now, limit=slots, include_embargoed=True, where=where
            ):
                found[c.delivery_id] = c
        since = now - (rules.mix.window if rules.mix else timedelta(0))
        with self._sessions() as s:
            posts = s.execute(
                select(Delivery.published_at, Delivery.sort_category).where(
                    Delivery.channel == channel,
                    Delivery.published_at >= since,
                    Delivery.state == DeliveryState.PUBLISHED.value,
                )
            ).all()
        return Snapshot(
            channel=channel,
            candidates=tuple(found.values()),
            evergreens=tuple(self.evergreens(channel, now)) if rules.recycle else (),
            events=tuple(self.events(channel, now, rules.reminders, until=until)),
            posts=tuple((at, category) for at, category in posts if at is not None),
        )

    # -- writing ---------------------------------------------------------------------------

    def make_recycle(self, evergreen: Evergreen, *, by: str) -> int | None:
        """Make the next recycle of `evergreen` for its channel (its alternate text when it has
        one, else its text); the new delivery's id, or None when that repeat exists already
        (another process made it) or the original may no longer be posted."""
        repeat = evergreen.repeats + 1
        with self._sessions.begin() as s:
            original = s.get(Item, evergreen.item_id)
            if original is None or original.state != ItemState.APPROVED or not original.evergreen:
                return None
            new = NewItem(
                url=original.url,
                channels=[evergreen.channel],
                title=original.title,
                text=original.alt_text or original.text,
                category=original.category,
                tags=list(original.tags or ()),
                source=original.source,
                priority=original.priority,
                evergreen=False,
                created_by=by,
            )
            note = f"evergreen: repeat {repeat} of item {original.id} on {evergreen.channel}"
            return self._insert(
                s,
                new,
                recycle_key(original.id, evergreen.channel, repeat),
                note,
                recycled_from=original.id,
            )

    def make_reminder(self, due: ReminderDue, text: str, *, by: str) -> int | None:
        """Make the reminder `due` with the words `text`; the new delivery's id, or None when
        it exists already or the event may no longer be posted about."""
        event = due.event
        with self._sessions.begin() as s:
            item = s.get(Item, event.item_id)
            if item is None or item.state != ItemState.APPROVED or item.event_at is None:
                return None
            new = NewItem(
                url=item.url,
                channels=[event.channel],
                title=item.title,
                text=text,
                category=item.category,
                tags=list(item.tags or ()),
                source=item.source,
                priority=item.priority,
                not_before=item.event_at - due.offset,
                event_at=item.event_at,
                evergreen=False,
                created_by=by,
            )
            note = f"reminder of item {item.id} on {event.channel}"
            return self._insert(s, new, due.key, note, reminder_of=item.id)

    def _insert(
        self,
        s: Session,
        new: NewItem,
        key: str,
        note: str,
        *,
        recycled_from: int | None = None,
        reminder_of: int | None = None,
    ) -> int | None:
        """Insert `new` (one channel) with delivery key `key`, in a savepoint: None when the key
        exists already, so the caller's transaction stays usable."""
        try:
            with s.begin_nested():
                item = self._queue._insert(s, new, allow_duplicate=True, keys=[key], note=note)
                item.recycled_from, item.reminder_of = recycled_from, reminder_of
                s.flush()
        except IntegrityError:
            return None
        return item.deliveries[0].id
