"""The database side of editorial selection: what a channel has to offer a slot, and the items
selection makes (recycled evergreen posts, event reminders).

`ChannelSupply` answers `selection.Supply` with small queries, each served by an index, so a
slot's cost grows neither with the queue nor with its history; `EditorialStore.choose` asks
them all in one statement (`slot_query`: one round trip per slot), and each can also be asked
on its own:

- a category's best item walks `ix_deliveries_category` (channel, state, category, then rank
  order) and stops at the first eligible row; the rest of the queue walks
  `ix_deliveries_selection`;
- pinned items whose time has come and reminders made are found among the channel's pending
  deliveries (pinned items keep their time once out: their index would hold every one ever);
- events to come through `ix_items_event_at`, evergreen originals through `ix_items_evergreen`
  (`channel_reads`): a handful of rows each, whatever the history;
- the mix's counts read the channel's posts in the window through
  `ix_deliveries_channel_state_published`.

`EditorialStore.make_recycle` and `make_reminder` insert the new item with a delivery key derived
from what it is (`recycling.recycle_key`, `events.reminder_key`): a second insert of the same
repeat or reminder, by a replica or after a crash, fails on the key's unique index and makes
nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .channel_reads import channel_events, channel_evergreens, with_made
from .db import Store
from .events import Event, ReminderDue, reminder_due
from .ledger import Ledger, candidates_query
from .queue import ContentQueue
from .recycling import Evergreen, RecycleRules, best, recycle_key
from .schema import Delivery, DeliveryState, Item, ItemState
from .selection import Candidate, Choice, Rules, pick
from .slot_query import (
    SlotAnswers,
    ask_all,
    candidate_columns,
    pinned_conditions,
    posts_since,
)
from .timeutil import Clock, system_clock
from .views import NewItem, image_of

__all__ = ["ChannelSupply", "EditorialStore"]


# -- the questions, each in the caller's session ----------------------------------------


def _published_by_category(s: Session, channel: str, since: datetime) -> dict[str, int]:
    """The channel's posts since `since`, by category (the item's, as it is now)."""
    return dict(
        Counter(s.scalars(select(Delivery.sort_category).where(*posts_since(channel, since))))
    )


def _events(
    s: Session, channel: str, now: datetime, offsets: Sequence[timedelta], until: datetime
) -> list[Event]:
    """Events of `channel` still to come, within the largest reminder offset of `until`,
    soonest first, with when their own item went out there (None: not yet) and the reminders
    already made."""
    return channel_events(s, {channel: (offsets, until)}, now).get(channel, [])


def _evergreens(s: Session, channel: str, now: datetime) -> list[Evergreen]:
    """The evergreen originals that went out on `channel` and may still be posted, with their
    history there and their engagement."""
    return channel_evergreens(s, [channel], now).get(channel, [])


class ChannelSupply:
    """`selection.Supply` for one channel at one time, from the database (see the module
    docstring), every question in one read session (`EditorialStore.supply` opens and closes
    it): one connection and one transaction for a whole slot's choice. After `ask_all`, the
    questions it answered are answered from memory (one round trip for the whole choice, see
    `slot_query`); the others, and every question without it, run their own query. The
    evergreen originals are read once, on first need."""

    def __init__(self, store: EditorialStore, s: Session, channel: str, now: datetime) -> None:
        self._store, self._s, self.channel, self.now = store, s, channel, now
        self._evergreens: list[Evergreen] | None = None
        self._ranked: Select[Delivery, Item] | None = None
        self._answers = SlotAnswers()

    def ask_all(self, rules: Rules) -> None:
        """Ask every question `pick` may ask under `rules` at once (see `slot_query`)."""
        self._answers = ask_all(self._s, self.channel, self.now, rules)

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
        query = base.where(*where).with_only_columns(*candidate_columns())
        row = self._s.execute(query).first()
        return Candidate(*row) if row is not None else None

    def pinned(self) -> Candidate | None:
        if "pinned" in self._answers.candidates:
            return self._answers.candidates["pinned"]
        return self._first(*pinned_conditions(self.now), order_by=(Item.publish_at.asc(),))

    def best_in(self, category: str) -> Candidate | None:
        if f"best:{category}" in self._answers.candidates:
            return self._answers.candidates[f"best:{category}"]
        return self._first(Delivery.sort_category == category)

    def best_outside(self, categories: Collection[str]) -> Candidate | None:
        if self._answers.outside == frozenset(categories):
            return self._answers.candidates["outside"]
        if not categories:
            return self._first()
        return self._first(Delivery.sort_category.not_in(list(categories)))

    def reminder(self, offsets: Sequence[timedelta]) -> Candidate | ReminderDue | None:
        answers = self._answers
        if "reminder" in answers.candidates and answers.offsets == tuple(offsets):
            made = answers.candidates["reminder"]
            events = [] if made else with_made(self._s, answers.events, {self.channel: offsets})
        else:
            made = self._first(
                Item.reminder_of.is_not(None),
                Item.event_at > self.now,
                order_by=(Item.event_at.asc(),),
            )
            events = [] if made else _events(self._s, self.channel, self.now, offsets, self.now)
        if made is not None:
            return made
        for event in events:
            offset = reminder_due(event, self.now, offsets)
            if offset is not None:
                return ReminderDue(event, offset)
        return None

    def recyclable(self, rules: RecycleRules, category: str | None) -> Evergreen | None:
        if self._evergreens is None:
            self._evergreens = _evergreens(self._s, self.channel, self.now)
        return best(self._evergreens, self.now, rules, category)

    def published(self, since: datetime) -> Mapping[str, int]:
        if self._answers.counts is not None and self._answers.since == since:
            return self._answers.counts
        return _published_by_category(self._s, self.channel, since)


class EditorialStore(Store):
    """Editorial reads and writes in the queue's database (see the module docstring)."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        super().__init__(bind, clock)
        self.ledger = Ledger(self._sessions, clock)
        self._queue = ContentQueue(self._sessions, clock)

    @classmethod
    def of(cls, ledger: Ledger) -> EditorialStore:
        """The store on the database (and clock) of `ledger`."""
        return cls(ledger._sessions, ledger._clock)

    @contextmanager
    def supply(self, channel: str, now: datetime) -> Iterator[ChannelSupply]:
        """What `channel` offers a slot at `now`, in one read session closed on leaving.

        On PostgreSQL the session reads without a transaction of its own (autocommit), which
        spares two round trips per slot (BEGIN, ROLLBACK): each statement is consistent in
        itself, the choice's questions are one statement (`ask_all`), the few that may follow
        read what is there then, and the claim that acts on the choice checks it again in its
        own transaction (`Ledger.claim_next`). SQLite keeps the queue engine's transactions
        (`db`): switching a pooled pysqlite connection to autocommit and back would leave it
        with the driver's own transaction handling, which the engine turns off."""
        with self._sessions() as s:
            if s.get_bind().dialect.name == "postgresql":
                s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            yield ChannelSupply(self, s, channel, now)

    def choose(self, channel: str, now: datetime, rules: Rules) -> Choice | None:
        """`selection.pick` for a slot of `channel` at `now`, from the database."""
        with self.supply(channel, now) as supply:
            supply.ask_all(rules)
            return pick(supply, rules, now)

    # -- reading ---------------------------------------------------------------------------

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

    def pinned_times_by_channel(self, start: datetime, end: datetime) -> dict[str, list[datetime]]:
        """`pinned_times` of every channel at once: one query for the daemon's minute rescan,
        not one per channel (1,000 a minute with 1,000 channels). The window is short (a
        catch-up grace behind, two minutes ahead), so the items' (state, publish_at) index
        bounds it whatever the history."""
        query = (
            select(Delivery.channel, Item.publish_at)
            .join(Delivery, Delivery.item_id == Item.id)
            .where(
                Item.publish_at >= start,
                Item.publish_at <= end,
                Item.state == ItemState.APPROVED.value,
                Delivery.state == DeliveryState.PENDING.value,
            )
            .distinct()
            .order_by(Item.publish_at, Delivery.channel)
        )
        out: dict[str, list[datetime]] = {}
        with self._sessions() as s:
            for channel, at in s.execute(query):
                if at is not None:
                    out.setdefault(channel, []).append(at)
        return out

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
                images=[image_of(i) for i in original.images],  # the repost shows them too
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
                images=[image_of(i) for i in item.images],  # the event's poster, again
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
