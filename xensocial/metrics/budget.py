"""Planning a collection round within a network's monthly budget of reads: pure functions.

Reads cost money or quota, so a round never asks more than the budget leaves. The budget is
counted in the network's billed unit, a "read", which the adapter defines: on X a read is a post
or a user returned (X bills per resource, so one lookup of 100 posts is 100 reads); elsewhere a
read is one request, whatever it returns (`Adapter.engagement_reads`, `Adapter.followers_reads`).
The rule, kept simple so a person can check it by hand:

- **Monthly cap**: the reads of a calendar month (UTC) never exceed `budget`.
- **Spread**: by the end of day *d* of a month of *D* days, at most `ceil(budget * d / D)`
  reads are spent, so the first day cannot use up the month. `--now` lifts the spread, never
  the cap.
- **Newest first**: the reads left go to the newest posts (they are the ones people still look
  at); a round polls each post once, at most `batch` posts per request, and the last request
  is cut to what the reads left pay for. What does not fit is skipped, and the caller logs it;
  a skipped reading stays due and is taken in a later round.

No budget (None) means unlimited.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from content_queue.metrics_store import DueSample

__all__ = ["ReadCost", "RoundPlan", "month_start", "plan_round", "reads_available"]

ReadCost = Callable[[int], int]
"""The reads one request for `n` posts costs (`Adapter.engagement_reads`); never smaller for a
larger `n`."""


def month_start(now: datetime) -> datetime:
    """Midnight UTC on the first day of `now`'s month: where the month's count starts."""
    utc = now.astimezone(UTC)
    return datetime(utc.year, utc.month, 1, tzinfo=UTC)


def reads_available(
    budget: int | None, spent: int, now: datetime, *, spread: bool = True
) -> int | None:
    """How many reads this round may spend (None: no limit)."""
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
    """What a round reads: `batches` of due samples, one request each costing `reads[i]`, and
    what it skips."""

    batches: list[list[DueSample]] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)
    skipped: list[DueSample] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.batches)


def _largest_affordable(size: int, cost: ReadCost, left: int) -> int:
    """The most posts, up to `size`, one request may read for `left` reads (0: not even one)."""
    if cost(size) <= left:
        return size
    low, high = 0, size  # cost(low) fits (or low is 0), cost(high) does not
    while high - low > 1:
        middle = (low + high) // 2
        if cost(middle) <= left:
            low = middle
        else:
            high = middle
    return low


def plan_round(
    due: Sequence[DueSample],
    *,
    batch: int,
    available: int | None,
    cost: ReadCost,
) -> RoundPlan:
    """Choose the posts to read: newest first, each once, for at most `available` reads, each
    request of `n` posts costing `cost(n)`."""
    if batch < 1:
        raise ValueError(f"batch must be 1 or more, got {batch}")
    seen: set[int] = set()
    ordered: list[DueSample] = []
    for d in sorted(due, key=lambda d: (d.published_at, d.delivery_id), reverse=True):
        if d.delivery_id not in seen:
            seen.add(d.delivery_id)
            ordered.append(d)
    batches: list[list[DueSample]] = []
    reads: list[int] = []
    left = available
    taken = 0
    while taken < len(ordered):
        size = min(batch, len(ordered) - taken)
        if left is not None:
            size = _largest_affordable(size, cost, left)
            if size == 0:
                break
            left -= cost(size)
        batches.append(ordered[taken : taken + size])
        reads.append(cost(size))
        taken += size
    return RoundPlan(batches, reads, ordered[taken:])
