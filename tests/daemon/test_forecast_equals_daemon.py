"""What `schedule` forecasts for a slot is what the daemon does at that slot.

For generated channels (time zones with and without DST and a half-hour offset, one to three
slots a day, daily caps, minimum gaps), queues (priorities, embargoes, pinned times), history
(posts earlier the same local day), pauses, configured and stored blackouts, slots claimed by
another process, and changes made between slots (a pause, a resume, a new blackout, a new item):
the forecast (`xensocial.forecast.plan_channels`, as the command runs it) is made first, then
the real `Publisher` runs each forecast slot at its time on a test clock, over the outbox
adapter, on a real database. After a change, the forecast is made again before the next slot,
as someone running `schedule` then would see it. Each slot must end as its forecast said: the
item it named published, the same skip reason word for word, `empty` for `nothing queued`, and
nothing done for `already used`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem, SlotOutcome
from tests.conftest import FakeClock
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.config import ChannelConfig, Settings
from xensocial.config.blackouts import BlackoutConfig
from xensocial.forecast import ALREADY_USED, NOTHING_QUEUED, ChannelPlan, PlannedSlot, plan_channels
from xensocial.publishing import Publisher, SlotResult

from .conftest import make_channel, make_settings

HOUR = timedelta(hours=1)
HORIZON = timedelta(days=3)
# Early March 2026 to mid-April: New York (8 March) and Amsterdam (29 March) change to summer time.
START = datetime(2026, 3, 1, tzinfo=UTC)
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata"]
_serial = itertools.count()


@dataclass(frozen=True)
class Item:
    priority: int
    not_before_h: int | None  # hours after the start of the forecast
    pinned_min: int | None  # minutes after the start of the forecast


@dataclass(frozen=True)
class Change:
    """Made just before the `before`-th slot the forecast shows."""

    before: int
    kind: str  # pause, resume, blackout, item
    hours: int  # the blackout: starts this many hours later, lasts as long again


@dataclass(frozen=True)
class Scenario:
    zone: str
    slots: tuple[time, ...]
    max_per_day: int
    min_gap_h: int
    start_h: int  # the forecast's start: hours after START
    history_h: tuple[int, ...]  # slots run this many hours before the forecast's start
    items: tuple[Item, ...]
    paused: bool
    stored: tuple[tuple[int, int], ...]  # (start, length) in hours from the forecast's start
    configured: tuple[tuple[int, int], ...]
    claimed: tuple[int, ...]  # the forecast's n-th slots, claimed by another process first
    changes: tuple[Change, ...]


items = st.builds(
    Item,
    priority=st.integers(0, 2),
    not_before_h=st.none() | st.integers(1, 60),
    pinned_min=st.none() | st.integers(1, 71 * 60).filter(lambda m: m % 30 != 0),
)
periods = st.tuples(st.integers(-6, 60), st.integers(1, 12))
scenarios = st.builds(
    Scenario,
    zone=st.sampled_from(ZONES),
    slots=st.lists(
        st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(lambda ts: tuple(sorted(ts))),
    max_per_day=st.integers(1, 3),
    min_gap_h=st.sampled_from([0, 3, 8, 13, 20]),
    start_h=st.integers(0, 42 * 24),
    history_h=st.lists(st.integers(1, 20), max_size=3, unique=True).map(
        lambda hs: tuple(sorted(hs, reverse=True))
    ),
    items=st.lists(items, max_size=8).map(tuple),
    paused=st.sampled_from([False, False, False, True]),
    stored=st.lists(periods, max_size=2).map(tuple),
    configured=st.lists(periods, max_size=1).map(tuple),
    claimed=st.lists(st.integers(0, 5), max_size=2).map(tuple),
    changes=st.lists(
        st.builds(
            Change,
            before=st.integers(1, 6),
            kind=st.sampled_from(["pause", "resume", "blackout", "item"]),
            hours=st.integers(0, 6),
        ),
        max_size=3,
    ).map(tuple),
)


class World:
    """One scenario's channel, queue, publisher and clock, on the shared database."""

    def __init__(self, engine: Engine, clock: FakeClock, tmp_path: Path, sc: Scenario) -> None:
        self.sc, self.clock = sc, clock
        self.name = f"c{next(_serial)}"
        self.t0 = START + sc.start_h * HOUR + timedelta(minutes=7)
        self.channel: ChannelConfig = make_channel(
            self.name,
            timezone=sc.zone,
            slots=sc.slots,
            max_per_day=sc.max_per_day,
            min_gap=sc.min_gap_h * HOUR,
        )
        configured = tuple(
            BlackoutConfig(n, *self._period(p), reason=f"configured {n}", channels=(self.name,))
            for n, p in enumerate(sc.configured)
        )
        self.settings: Settings = replace(
            make_settings(tmp_path, [self.channel]), blackouts=configured
        )
        self.queue, self.ledger = ContentQueue(engine, clock), Ledger(engine, clock)
        outbox = OutboxAdapter(
            ChannelContext(
                self.name, options={"path": f"{self.name}.jsonl"}, data_dir=tmp_path, clock=clock
            )
        )
        self.publisher = Publisher(
            self.ledger,
            {self.name: outbox},
            self.settings,
            identity="host-a",
            clock=clock,
            queue=self.queue,
        )

    def _period(self, p: tuple[int, int]) -> tuple[datetime, datetime]:
        start = self.t0 + p[0] * HOUR
        return start, start + p[1] * HOUR

    def add_item(self, item: Item) -> None:
        n = next(_serial)
        pinned = None if item.pinned_min is None else self.t0 + timedelta(minutes=item.pinned_min)
        not_before = None if item.not_before_h is None else self.t0 + item.not_before_h * HOUR
        if pinned is not None:
            not_before = None  # a pinned item has its time, not an embargo
        self.queue.add(
            NewItem(
                url=f"https://example.org/{self.name}/{n}",
                title=f"Post {n}",
                channels=[self.name],
                priority=item.priority,
                not_before=not_before,
                publish_at=pinned if pinned is not None and pinned > self.clock() else None,
            )
        )

    def set_up(self) -> None:
        """The queue and its history, the pause and the blackouts, before the forecast."""
        sc = self.sc
        self.clock.set(self.t0 - 24 * HOUR)
        for _ in range(len(sc.history_h) + 1):  # enough for the history to post
            self.add_item(Item(priority=3, not_before_h=None, pinned_min=None))
        for item in sc.items:
            self.add_item(item)
        for p in sc.stored:
            self.ledger.add_blackout(*self._period(p), reason="stored", channels=[self.name])
        for h in sc.history_h:  # what the channel did earlier, by its own rules
            at = self.clock.set(self.t0 - h * HOUR)
            self.publisher.run_slot(self.channel, at)
        self.clock.set(self.t0)
        if sc.paused:
            self.ledger.pause(self.name, reason="holiday", by="test")

    def forecast(self) -> list[PlannedSlot]:
        now = self.clock()
        blackouts = [*self.settings.blackouts, *self.ledger.blackouts(ending_after=now)]
        plan: ChannelPlan
        [plan] = plan_channels(
            [self.channel],
            self.ledger,
            now,
            self.t0 + HORIZON,
            blackouts=blackouts,
            editorial=self.settings.editorial,
        )
        return list(plan.slots)

    def change(self, c: Change) -> None:
        if c.kind == "pause":
            self.ledger.pause(self.name, reason=f"crisis {c.hours}", by="test")
        elif c.kind == "resume":
            self.ledger.resume(self.name, by="test")
        elif c.kind == "blackout":
            start = self.clock() + c.hours * HOUR
            self.ledger.add_blackout(
                start, start + (c.hours + 1) * HOUR, reason="sudden", channels=[self.name]
            )
        else:
            self.add_item(Item(priority=c.hours % 3, not_before_h=None, pinned_min=None))


def _verdict(s: PlannedSlot) -> tuple[SlotOutcome | None, int | None, str | None]:
    """What the publisher's result must be, from the forecast's row."""
    if s.item is not None:
        return SlotOutcome.PUBLISHED, s.item.item_id, None
    if s.skipped == ALREADY_USED:
        return None, None, "already claimed"
    if s.skipped == NOTHING_QUEUED:
        return SlotOutcome.EMPTY, None, "no eligible item"
    return SlotOutcome.SKIPPED, None, s.skipped


def _done(r: SlotResult) -> tuple[SlotOutcome | None, int | None, str | None]:
    if r.outcome is SlotOutcome.PUBLISHED:
        return r.outcome, r.item_id, None
    return r.outcome, r.item_id, r.detail


# A few hundred scenarios on SQLite, fewer on PostgreSQL (each costs it twice as long): some 30 s
# in all. Derandomized: every run tries the same scenarios.
EXAMPLES = {"sqlite": 250, "postgresql": 60}


@pytest.mark.slow  # seconds to minutes: left out of the fast run (README, Testing)
def test_each_slot_ends_as_the_forecast_said(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    @settings(
        max_examples=EXAMPLES[engine.dialect.name],
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(sc=scenarios)
    def check(sc: Scenario) -> None:
        _run(World(engine, clock, tmp_path, sc))

    check()


def _run(world: World) -> None:
    """Forecast, then run every forecast slot at its time and hold it to its verdict."""
    sc, clock = world.sc, world.clock
    world.set_up()
    rows = world.forecast()
    for n in sc.claimed:
        if n < len(rows):
            world.ledger.claim_slot(world.name, rows[n].at, "host-b")
    rows = world.forecast()  # a slot claimed meanwhile: `already used`
    changes = {c.before: c for c in sc.changes}
    done = 0
    while rows:
        row = rows.pop(0)
        if done in changes:
            clock.set(row.at - timedelta(seconds=1))
            world.change(changes.pop(done))
            rows = [r for r in world.forecast() if r.at >= row.at]
            if not rows:
                break
            row = rows.pop(0)
        clock.set(row.at)
        result = world.publisher.run_slot(world.channel, row.at, pinned=row.pinned)
        assert _done(result) == _verdict(row), (done, row, result)
        # --hypothesis-show-statistics: how often each kind of verdict was compared
        event(f"{'pinned ' if row.pinned else ''}{(row.skipped or 'posted').split(':')[0]}")
        done += 1
