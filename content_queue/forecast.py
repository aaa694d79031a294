"""The forecast of a channel's coming slots: editorial selection played forward in memory.

`xensocial schedule` shows what each coming slot would take, and why. It loads a `Snapshot` of
the channel once (`forecast_store.load_forecasts`: the pending items each slot could take, the
evergreen originals, the events to come, the posts of the mix's window), then asks
`selection.pick` slot after slot, exactly as the daemon does, through `Forecast.supply`; each
choice is then taken (`Forecast.take`), so the next slot sees what is left: the item is gone,
the evergreen was seen, the reminder made, and the mix counts one more post of that category.

It is a forecast: items added, approved or cancelled later change it, and engagement read later
can reorder evergreen items.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .errors import EvergreensNeeded
from .events import Event, ReminderDue, reminder_due
from .recycling import Evergreen, RecycleRules, best
from .selection import Candidate, Choice, is_eligible, rank_key

__all__ = ["EvergreensNeeded", "Forecast", "Snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """What one channel holds at one time, for the forecast.

    `evergreens` None: not read (reading them for every channel costs more than all the rest,
    and few forecasts reach them); a forecast that needs them raises `EvergreensNeeded`, and
    the caller reads them and plays that channel again (see `xensocial schedule`)."""

    channel: str
    candidates: tuple[Candidate, ...]  # pending deliveries, embargoed and pinned ones included
    evergreens: tuple[Evergreen, ...] | None = ()
    events: tuple[Event, ...] = ()
    posts: tuple[tuple[datetime, str], ...] = ()  # (published at, category) within the window


@dataclass
class Forecast:
    """The channel as the forecast goes along (see the module docstring)."""

    snapshot: Snapshot
    candidates: list[Candidate] = field(init=False)
    evergreens: list[Evergreen] = field(init=False)
    events: list[Event] = field(init=False)
    posts: list[tuple[datetime, str]] = field(init=False)

    def __post_init__(self) -> None:
        s = self.snapshot
        self.candidates = sorted(s.candidates, key=rank_key)
        # The same candidates by what the questions look at, each list in rank order: a
        # question reads the few it concerns, not every candidate (`schedule` asks some
        # hundred thousand questions of a thousand channels).
        self._by_category: dict[str, list[Candidate]] = {}
        for c in self.candidates:
            self._by_category.setdefault(c.category, []).append(c)
        self._pinned = [c for c in self.candidates if c.publish_at is not None]
        self._reminders = [c for c in self.candidates if c.reminder_of is not None]
        self.evergreens = list(s.evergreens or ())
        self.events = sorted(s.events, key=lambda e: (e.event_at, e.item_id))
        self.posts = sorted(s.posts)  # and each slot taken adds a later one
        # `published` counts the posts of a window that slides forward slot by slot: the
        # counts of the last window asked, and where it starts in `posts`.
        self._window: tuple[datetime, int, int, dict[str, int]] | None = None

    def supply(self, at: datetime) -> _MemorySupply:
        """`selection.Supply` for a slot at `at`."""
        return _MemorySupply(self, at)

    def pinned_times(self, start: datetime, end: datetime) -> list[datetime]:
        """The distinct pinned times in [start, end) of the items still waiting."""
        times = {c.publish_at for c in self.candidates if c.publish_at is not None}
        return sorted(t for t in times if start <= t < end)

    def take(self, choice: Choice, at: datetime) -> None:
        """Record that a slot at `at` posts `choice`."""
        if choice.candidate is not None:
            taken = choice.candidate
            for pool in (self.candidates, self._by_category[taken.category]):
                _drop(pool, taken)
            if taken.publish_at is not None:
                _drop(self._pinned, taken)
            if taken.reminder_of is not None:
                _drop(self._reminders, taken)
            self._posted(at, taken.category)
            self.events = [
                replace(e, published_at=at) if e.item_id == taken.item_id else e
                for e in self.events
            ]
        elif choice.recycle is not None:
            again = choice.recycle
            self.evergreens = [
                replace(e, last_seen=at, repeats=e.repeats + 1) if e == again else e
                for e in self.evergreens
            ]
            self._posted(at, again.category)
        elif choice.reminder is not None:
            due = choice.reminder
            self.events = [
                replace(e, made=e.made | {due.offset}) if e == due.event else e for e in self.events
            ]
            self._posted(at, due.event.category)

    def _posted(self, at: datetime, category: str) -> None:
        if self.posts and at < self.posts[-1][0]:  # not later than the rest: count afresh
            insort(self.posts, (at, category))
            self._window = None
        else:
            self.posts.append((at, category))

    def published_since(self, since: datetime) -> dict[str, int]:
        """The posts at or after `since`, counted by category (`Supply.published`). The
        forecast asks for a window that only moves forward, so the counts of the last one are
        carried on: the posts it leaves are taken off, those taken since are added."""
        posts = self.posts
        counts: dict[str, int]
        if self._window is None or since < self._window[0]:
            start = bisect_left(posts, (since,))
            seen, counts = start, {}  # nothing counted yet
        else:
            _, start, seen, counts = self._window
        for _, category in posts[seen:]:  # taken since the last question
            counts[category] = counts.get(category, 0) + 1
        while start < len(posts) and posts[start][0] < since:
            category = posts[start][1]
            counts[category] -= 1
            if not counts[category]:
                del counts[category]
            start += 1
        self._window = (since, start, len(posts), counts)
        return dict(counts)


def _drop(pool: list[Candidate], taken: Candidate) -> None:
    """Remove `taken` itself from `pool`: by identity, without comparing every candidate
    before it field by field (as `list.remove` does)."""
    for i, c in enumerate(pool):
        if c is taken:
            del pool[i]
            return
    raise ValueError(f"delivery {taken.delivery_id} is not in the forecast")


class _MemorySupply:
    """`selection.Supply` answered from a `Forecast` at one time."""

    def __init__(self, forecast: Forecast, at: datetime) -> None:
        self._f, self.at = forecast, at

    def _eligible(self, candidates: list[Candidate]) -> list[Candidate]:
        return [c for c in candidates if is_eligible(c, self.at)]  # in rank order

    def pinned(self) -> Candidate | None:
        pinned = self._eligible(self._f._pinned)
        return min(pinned, key=lambda c: (c.publish_at, *rank_key(c))) if pinned else None

    def best_in(self, category: str) -> Candidate | None:
        of = self._f._by_category.get(category, [])
        return next((c for c in of if is_eligible(c, self.at)), None)

    def best_outside(self, categories: Collection[str]) -> Candidate | None:
        return next(
            (
                c
                for c in self._f.candidates
                if c.category not in categories and is_eligible(c, self.at)
            ),
            None,
        )

    def reminder(self, offsets: Sequence[timedelta]) -> Candidate | ReminderDue | None:
        made = self._eligible(self._f._reminders)
        if made:
            # A reminder expires at its event: the soonest event first, as the database orders.
            return min(made, key=lambda c: (c.expires_at or self.at, *rank_key(c)))
        for event in self._f.events:
            offset = reminder_due(event, self.at, offsets)
            if offset is not None:
                return ReminderDue(event, offset)
        return None

    def recyclable(self, rules: RecycleRules, category: str | None) -> Evergreen | None:
        if self._f.snapshot.evergreens is None:
            raise EvergreensNeeded(self._f.snapshot.channel)
        return best(self._f.evergreens, self.at, rules, category)

    def published(self, since: datetime) -> Mapping[str, int]:
        return self._f.published_since(since)
