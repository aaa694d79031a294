"""Which item a channel posts next: the whole policy, as pure functions.

The database narrows the field with an index (see `queue.ContentQueue.candidates`); the rules
themselves live only here, so they can be read in one place and tested without a database:

1. eligible: the item is approved, its `not_before` has passed, it has not expired, and its
   delivery on this channel is still pending (not yet published, failed or under way);
2. among the eligible, the highest priority first, then the oldest, then the lowest id (so the
   choice is total and repeatable).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .schema import DeliveryState, ItemState

__all__ = ["Candidate", "choose", "ineligible_reason", "is_eligible", "plan", "rank_key"]


@dataclass(frozen=True)
class Candidate:
    """What selection needs to know of one item's delivery on one channel."""

    delivery_id: int
    item_id: int
    channel: str
    priority: int
    created_at: datetime
    item_state: str
    delivery_state: str
    not_before: datetime | None = None
    expires_at: datetime | None = None
    title: str = ""
    url: str = ""
    category: str = ""


def ineligible_reason(c: Candidate, now: datetime) -> str | None:
    """Why `c` cannot be posted at `now`, or None when it can."""
    if c.item_state != ItemState.APPROVED:
        return f"item is {c.item_state}"
    if c.delivery_state != DeliveryState.PENDING:
        return f"delivery is {c.delivery_state}"
    if c.not_before is not None and c.not_before > now:
        return f"not before {c.not_before.isoformat()}"
    if c.expires_at is not None and c.expires_at <= now:
        return f"expired at {c.expires_at.isoformat()}"
    return None


def is_eligible(c: Candidate, now: datetime) -> bool:
    return ineligible_reason(c, now) is None


def rank_key(c: Candidate) -> tuple[int, datetime, int]:
    """Sort key: smaller goes first (highest priority, then oldest, then lowest id)."""
    return (-c.priority, c.created_at, c.item_id)


def choose(candidates: Iterable[Candidate], now: datetime) -> Candidate | None:
    """The candidate a slot at `now` takes, or None when nothing is eligible."""
    eligible = [c for c in candidates if is_eligible(c, now)]
    return min(eligible, key=rank_key) if eligible else None


def plan(candidates: Iterable[Candidate], slot_times: Sequence[datetime]) -> list[Candidate | None]:
    """Which candidate each coming slot would take if nothing changed in the meantime.

    Each slot takes the best candidate eligible at its own time (an embargoed item can fill a
    later slot) and no candidate is used twice.
    """
    remaining = sorted(candidates, key=rank_key)
    taken: list[Candidate | None] = []
    for at in slot_times:
        pick = next((c for c in remaining if is_eligible(c, at)), None)
        if pick is not None:
            remaining.remove(pick)
        taken.append(pick)
    return taken
