"""What the forecast of many channels needs (`xensocial schedule`), read in a few queries whatever
the number of channels.

Read channel by channel, one channel's `forecast.Snapshot` would take a dozen queries, and the
schedule asks the ledger four more things per channel (pause, slots claimed, posts today,
latest post): for 1,000 channels, some fifteen thousand statements. `load_forecasts` reads the
same for a list of channels with one statement per kind of thing, each for every channel at
once (`channel IN (...)`), and deals the rows out in Python:

- the candidates: every pending, approved, unexpired delivery of the channels, in rank order
  channel by channel; the forecast's pools (each category the rules name,
  the other categories, the pinned items, the reminders made, each its first `slots` in rank
  order) are taken from those rows exactly (`_Pools`);
- the posts from the earliest time any channel needs (the mix's window, the local day of the
  daily cap, the minimum gap), through `ix_deliveries_channel_state_published`;
- the pauses, the slots claimed from now on, the events to come and the reminders made of
  them (`channel_reads`).

The evergreen originals (with their recycles and engagement) cost more to read than all the
rest and few forecasts reach them: `load_evergreens` reads them for those channels only.

What a channel's snapshot holds does not depend on the channels read with it:
tests/storage/editorial/test_schedule_batch.py plans a generated queue for every channel at
once and for each alone, and the forecast-equals-daemon property holds the plans to what the
publisher does, slot by slot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, or_, select, text, type_coerce
from sqlalchemy.orm import Session

from .channel_reads import channel_events, channel_evergreens, chunks
from .db import plan_for_cached_reads
from .forecast import Snapshot
from .ledger import Ledger
from .pauses import ChannelStatus
from .recycling import Evergreen
from .schema import ChannelState, Delivery, DeliveryState, Item, ItemState, UTCDateTime
from .selection import ANNOUNCEMENT, Candidate, Rules
from .slot_query import Unindexed, candidate_columns

__all__ = ["ChannelData", "ForecastAsk", "load_evergreens", "load_forecasts"]


@dataclass(frozen=True)
class ForecastAsk:
    """One channel's forecast: its rules, how many items per pool it may take (its slots and
    a margin: no slot can take more), the end of the forecast, the start of
    its local day (the daily cap) and its minimum gap."""

    channel: str
    rules: Rules
    slots: int
    until: datetime
    day_start: datetime
    min_gap: timedelta = timedelta(0)


@dataclass(frozen=True)
class ChannelData:
    """What one channel's forecast reads: the snapshot, the pause, the slots claimed from now
    on, the posts since the start of its local day, and its latest post when it can still
    hold a slot back (within `min_gap` of now; None otherwise, which the gap treats alike)."""

    snapshot: Snapshot
    status: ChannelStatus
    claimed: frozenset[datetime]
    published_today: int
    last_post: datetime | None


def load_forecasts(
    ledger: Ledger, asks: Sequence[ForecastAsk], now: datetime
) -> dict[str, ChannelData]:
    """What the forecast of each channel of `asks` at `now` needs (see the module docstring),
    all read in one read session, but the evergreen items: a channel whose rules recycle them
    gets a snapshot without them (`Snapshot.evergreens` None), and `load_evergreens` reads
    them for the few forecasts that reach them."""
    if not asks:
        return {}
    names = sorted({a.channel for a in asks})
    with ledger._sessions() as s:
        if s.get_bind().dialect.name == "postgresql":
            # One snapshot for every statement; the pending items looked up by key.
            s.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            plan_for_cached_reads(s.connection())
        statuses = _statuses(s, names)
        candidates = _candidates(s, asks, now)
        posts = _posts(s, asks, now)
        claimed = _claims(s, names, now)
        events = channel_events(s, {a.channel: (a.rules.reminders, a.until) for a in asks}, now)
    out = {}
    for a in asks:
        channel_posts = posts.get(a.channel, [])
        since = now - (a.rules.mix.window if a.rules.mix else timedelta(0))
        last = max((at for at, _ in channel_posts), default=None)
        out[a.channel] = ChannelData(
            snapshot=Snapshot(
                channel=a.channel,
                candidates=tuple(candidates.get(a.channel, ())),
                evergreens=None if a.rules.recycle else (),
                events=tuple(events.get(a.channel, ())),
                posts=tuple((at, c) for at, c in channel_posts if at >= since),
            ),
            status=statuses.get(a.channel, ChannelStatus(a.channel, False, None, None, None)),
            claimed=frozenset(claimed.get(a.channel, ())),
            published_today=sum(1 for at, _ in channel_posts if at >= a.day_start),
            last_post=last if last is not None and last > now - a.min_gap else None,
        )
    return out


def _statuses(s: Session, names: Sequence[str]) -> dict[str, ChannelStatus]:
    out = {}
    for chunk in chunks(names):
        for st in s.scalars(select(ChannelState).where(ChannelState.channel.in_(chunk))):
            out[st.channel] = ChannelStatus(
                st.channel, st.paused, st.pause_reason, st.paused_at, st.paused_by
            )
    return out


def _candidates(
    s: Session, asks: Sequence[ForecastAsk], now: datetime
) -> dict[str, list[Candidate]]:
    """Each channel's candidates, by the forecast's pools (`_Pools`): every pending,
    approved, unexpired delivery of the channels, in rank order channel by channel (the order
    `ix_deliveries_selection` holds), dealt out to the pools in Python."""
    # 70,000 rows for 1,000 channels of a big queue, five timestamps each, mostly empty: read
    # as the driver gives them (naive UTC) and made aware only where set, which costs a
    # tenth of `UTCDateTime` converting every one of them.
    fields: list[ColumnElement[Any]] = [
        *candidate_columns(),
        Delivery.sort_category.label("sort_category"),
        Item.event_at.label("event_at"),
    ]
    columns = [
        type_coerce(c, DateTime()).label(c.key) if isinstance(c.type, UTCDateTime) else c
        for c in fields
    ]
    query = (
        select(*columns)
        .join(Item, Item.id == Delivery.item_id)
        .where(
            Delivery.state == DeliveryState.PENDING.value,
            # From the channels' pending deliveries, the items by their key: without
            # statistics, SQLite would rather walk every approved item ever queued.
            Unindexed(Item.state) == ItemState.APPROVED.value,
            or_(Item.expires_at.is_(None), Item.expires_at > now),
        )
        .order_by(
            Delivery.channel,
            Delivery.sort_priority.desc(),
            Delivery.sort_created_at,
            Delivery.item_id,
        )
    )
    pools = {a.channel: _Pools(a, now) for a in asks}
    for chunk in chunks(sorted(pools)):
        # Through the connection: plain rows, without the ORM's result machinery.
        result = s.connection().execute(query.where(Delivery.channel.in_(chunk)))
        for row in result:
            pools[row[2]].offer(row)
    return {channel: p.found for channel, p in pools.items()}


class _Pools:
    """The forecast's pools of candidates for one channel, filled from its rows in rank
    order: each category the rules name, the other categories, the pinned items, the reminders
    made, each up to `slots` rows; `found` is their union."""

    def __init__(self, ask: ForecastAsk, now: datetime) -> None:
        self.limit, self.now = ask.slots, now.replace(tzinfo=None)  # as the rows' times
        self.named = {ANNOUNCEMENT, *(ask.rules.mix.categories if ask.rules.mix else ())}
        # Rows taken per pool: a named category's pool is its name, the others are tuples
        # (never equal to a name). Called for each of thousands of rows, so nothing is built
        # per row that can be built once.
        self.taken: dict[str | tuple[str], int] = {}
        self.found: list[Candidate] = []

    def _take(self, pool: str | tuple[str]) -> bool:
        taken = self.taken.get(pool, 0)
        if taken == self.limit:
            return False
        self.taken[pool] = taken + 1
        return True

    def offer(self, row: tuple[Any, ...]) -> None:
        """Row: the fields of `Candidate` (times naive UTC), the category copy, the event.
        Some 7,000 rows a calendar of fifty channels: the times are made aware inline, not
        through a helper called for each (that cost a tenth of the forecast's reading)."""
        (d, i, channel, priority, created, state, dstate, nb, ex, title, url, cat, pin, rem) = row[
            :14
        ]
        category, event_at = row[14], row[15]
        keep = self._take(category if category in self.named else _OTHER)
        if pin is not None:
            keep = self._take(_PINNED) or keep
            pin = pin.replace(tzinfo=UTC)
        if rem is not None and event_at is not None and event_at > self.now:
            keep = self._take(_REMINDER) or keep
        if keep:
            self.found.append(
                Candidate(d, i, channel, priority, created.replace(tzinfo=UTC), state, dstate,
                          None if nb is None else nb.replace(tzinfo=UTC),
                          None if ex is None else ex.replace(tzinfo=UTC), title, url, cat, pin,
                          rem)
            )  # fmt: skip


_OTHER, _PINNED, _REMINDER = ("other",), ("pinned",), ("reminder",)


def _posts(
    s: Session, asks: Sequence[ForecastAsk], now: datetime
) -> dict[str, list[tuple[datetime, str]]]:
    """(published at, category) of each channel's posts from the earliest time it needs."""
    starts = {}
    for a in asks:
        window = a.rules.mix.window if a.rules.mix else timedelta(0)
        starts[a.channel] = min(now - window, a.day_start, now - a.min_gap)
    start = min(starts.values())
    out: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for chunk in chunks(sorted(starts)):
        query = select(Delivery.channel, Delivery.published_at, Delivery.sort_category).where(
            Delivery.channel.in_(chunk),
            Delivery.state == DeliveryState.PUBLISHED.value,
            Delivery.published_at >= start,
        )
        for channel, at, category in s.connection().execute(query):
            if at is not None and at >= starts[channel]:
                out[channel].append((at, category))
    return out


def _claims(s: Session, names: Sequence[str], now: datetime) -> dict[str, set[datetime]]:
    from .schema import SlotClaim

    out: dict[str, set[datetime]] = defaultdict(set)
    for chunk in chunks(names):
        query = select(SlotClaim.channel, SlotClaim.slot_at).where(
            SlotClaim.channel.in_(chunk), SlotClaim.slot_at >= now
        )
        for channel, at in s.execute(query):
            out[channel].add(at)
    return out


def load_evergreens(
    ledger: Ledger, names: Sequence[str], now: datetime
) -> dict[str, list[Evergreen]]:
    """Each channel's evergreen originals, as `EditorialStore.evergreens` reads them."""
    if not names:
        return {}
    with ledger._sessions() as s:
        return channel_evergreens(s, names, now)
