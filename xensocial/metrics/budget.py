"""Planning a collection round within a network's monthly request budget: pure functions.

X's API tiers allow very few reads a month, so a round never asks more than the budget leaves.
The rule, kept simple so a person can check it by hand:

- **Monthly cap**: the reads of a calendar month (UTC) never exceed `budget`.
- **Spread**: by the end of day *d* of a month of *D* days, at most `ceil(budget * d / D)`
  reads are spent, so the first day cannot use up the month. `--now` lifts the spread, never
  the cap.
- **Newest first**: the reads left go to the newest posts (they are the ones people still look
  at); a round polls each post once, `batch` posts per read. What does not fit is skipped, and
  the caller logs it; a skipped reading stays due and is taken in a later round.

No budget (None) means unlimited.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from content_queue.metrics_store import DueSample

__all__ = ["RoundPlan", "month_start", "plan_round", "requests_available"]


def month_start(now: datetime) -> datetime:
    """Midnight UTC on the first day of `now`'s month: where the month's count starts."""
    utc = now.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def requests_available(
    budget: int | None, spent: int, now: datetime, *, spread: bool = True
) -> int | None:
    """How many reads this round may make (None: no limit)."""
    if budget is None:
        return None
    cap = budget
    if spread:
        utc = now.astimezone(UTC)
        days = calendar.monthrange(utc.year, utc.month)[1]
        cap = min(budget, math.ceil(budget * utc.day / days))
    return max(0, cap - spent)


@dataclass(frozen=True)
class RoundPlan:
    """What a round reads: `batches` of due samples, one read each, and what it skips."""

    batches: list[list[DueSample]] = field(default_factory=list)
    skipped: list[DueSample] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.batches)


def plan_round(due: Sequence[DueSample], *, batch: int, available: int | None) -> RoundPlan:
    """Choose the posts to read: newest first, each once, at most `available` reads."""
    if batch < 1:
        raise ValueError(f"batch must be 1 or more, got {batch}")
    seen: set[int] = set()
    ordered: list[DueSample] = []
    for d in sorted(due, key=lambda d: (d.published_at, d.delivery_id), reverse=True):
        if d.delivery_id not in seen:
            seen.add(d.delivery_id)
            ordered.append(d)
    room = len(ordered) if available is None else min(len(ordered), available * batch)
    chosen = ordered[:room]
    return RoundPlan(
        batches=[chosen[i : i + batch] for i in range(0, len(chosen), batch)],
        skipped=ordered[room:],
    )
