"""A simulated stretch of days: the real publisher runs every slot of every channel, and every
pinned time, in time order, with a clock the simulation moves; things staff do (items added)
and the metrics rounds happen at their own times in between.

It drives `Publisher.run_slot` the way the daemon does: each slot at its nominal time (no
jitter), pinned times found as `xensocial.pinned.PinnedJobs` finds them (looked up again after
every action, so an item pinned mid-month is seen), and a metrics round (the real `Collector`)
every day, so evergreen recycling can rank the best performers by what was read.

Blackouts (the other half of issue 7) plug in through the rig's settings
(`EditorialRig(..., blackouts=(...))`): the publisher then skips the slots they cover.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from content_queue.metrics_store import MetricsStore
from xensocial.config.metrics import MetricsConfig
from xensocial.metrics.collector import Collector
from xensocial.publishing import SlotResult
from xensocial.slots import slot_times

from .rig import EditorialRig

__all__ = ["Action", "Month", "Ran"]


@dataclass(frozen=True)
class Action:
    """Something that happens at `at` (before a slot at the same instant)."""

    at: datetime
    do: Callable[[], object]


@dataclass(frozen=True)
class Ran:
    """One slot (or pinned time) run, and what it did."""

    channel: str
    at: datetime
    pinned: bool
    result: SlotResult


@dataclass
class Month:
    rig: EditorialRig
    start: datetime
    days: int
    actions: Sequence[Action] = ()
    metrics_at: timedelta = timedelta(hours=23)  # a metrics round each day at this time
    ran: list[Ran] = field(default_factory=list)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def run(self) -> list[Ran]:
        order = itertools.count()
        # (when, 0 = action / 1 = slot, order, what): actions first at a shared instant.
        events: list[tuple[datetime, int, int, object]] = []
        for channel in self.rig.channels:
            for at in slot_times(channel, self.start):
                if at >= self.end:
                    break
                heapq.heappush(events, (at, 1, next(order), (channel.name, False)))
        for action in self.actions:
            heapq.heappush(events, (action.at, 0, next(order), action))
        for day in range(self.days):
            at = self.start + timedelta(days=day) + self.metrics_at
            heapq.heappush(events, (at, 0, next(order), Action(at, self._metrics_round)))
        pinned: set[tuple[str, datetime]] = set()
        self._find_pinned(events, pinned, order, self.start)
        while events:
            at, _, _, what = heapq.heappop(events)
            self.rig.clock.set(max(self.rig.clock(), at))
            if isinstance(what, Action):
                what.do()
                self._find_pinned(events, pinned, order, at)
                continue
            name, is_pinned = what  # type: ignore[misc]
            result = self.rig.run(name, at, pinned=is_pinned)
            self.ran.append(Ran(name, at, is_pinned, result))
        return self.ran

    def _find_pinned(
        self,
        events: list[tuple[datetime, int, int, object]],
        seen: set[tuple[str, datetime]],
        order: itertools.count[int],
        now: datetime,
    ) -> None:
        for channel in self.rig.channels:
            for at in self.rig.store.pinned_times(channel.name, now, self.end):
                if (channel.name, at) not in seen:
                    seen.add((channel.name, at))
                    heapq.heappush(events, (at, 1, next(order), (channel.name, True)))

    def _metrics_round(self) -> None:
        Collector(
            MetricsStore(self.rig.engine, self.rig.clock),
            MetricsConfig(ages=(timedelta(hours=1), timedelta(hours=24))),
            self.rig.channels,
            self.rig.nets,
            clock=self.rig.clock,
        ).run_round()
