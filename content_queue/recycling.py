"""Evergreen recycling, the rules: which evergreen items a channel may post again, and which first.

An evergreen item (`queue add --evergreen`, or the default of its feed or category) may go out
again on a channel where it went out before. The repeat is a new item of its own (a *recycle*,
pointing back with `recycled_from`), so each post keeps its own exactly-once record and its own
engagement. An original is due again on a channel when:

- the last time anything of it happened there (the original's post, a recycle's post, or a
  recycle made for that channel, even one that has not gone out yet) is at least
  `recycle_after` ago (a recycle that failed does not make it due again at the very next slot);
- fewer than `max_repeats` recycles were made for that channel (each channel counts its own).

Among the due ones, the best performers go first: the mean engagement of the original's and its
recycles' posts, on every channel (likes + reposts + replies + quotes, each post read at the
latest age collected, see `[metrics] ages`); then the one not seen the longest; then the lowest
id. A post never read counts as no engagement.

A recycle's delivery has an idempotency key derived from the original, the channel and the
repeat's number (`recycle_key`): two processes that decide the same repeat at once collide on
the key's unique index, and only one recycle is ever made.

Pure functions: the database side is `content_queue.editorial_store`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "Evergreen",
    "RecycleRules",
    "best",
    "is_due",
    "not_due_reason",
    "rank_key",
    "recycle_key",
]


@dataclass(frozen=True)
class RecycleRules:
    """`[editorial] recycle_after` and `max_repeats`."""

    recycle_after: timedelta = timedelta(days=60)
    max_repeats: int = 3


@dataclass(frozen=True)
class Evergreen:
    """An evergreen original as one channel sees it."""

    item_id: int
    channel: str
    category: str
    last_seen: datetime  # the latest post or recycle of it on the channel (see the module doc)
    repeats: int  # recycles made for the channel
    score: float = 0.0  # how it did: see `channel_reads.engagement_scores`
    title: str = ""
    url: str = ""
    priority: int = 0


def not_due_reason(e: Evergreen, now: datetime, rules: RecycleRules) -> str | None:
    """Why `e` may not be posted again at `now`, or None when it may."""
    if e.repeats >= rules.max_repeats:
        return f"posted again {e.repeats} time(s), max_repeats is {rules.max_repeats}"
    again = e.last_seen + rules.recycle_after
    if again > now:
        return f"last seen {e.last_seen.isoformat()}; again from {again.isoformat()}"
    return None


def is_due(e: Evergreen, now: datetime, rules: RecycleRules) -> bool:
    return not_due_reason(e, now, rules) is None


def rank_key(e: Evergreen) -> tuple[float, datetime, int]:
    """Smaller goes first: the best performer, then the one not seen the longest, then lowest id."""
    return (-e.score, e.last_seen, e.item_id)


def best(
    evergreens: Iterable[Evergreen],
    now: datetime,
    rules: RecycleRules,
    category: str | None = None,
) -> Evergreen | None:
    """The evergreen to post again at `now` (of `category`, when given), or None."""
    due = [
        e
        for e in evergreens
        if (category is None or e.category == category) and is_due(e, now, rules)
    ]
    return min(due, key=rank_key) if due else None


def recycle_key(original_id: int, channel: str, repeat: int) -> str:
    """The idempotency key of the `repeat`-th recycle of `original_id` on `channel`."""
    digest = hashlib.sha256(f"recycle|{original_id}|{channel}|{repeat}".encode()).hexdigest()
    return f"xs-{digest[:40]}"
