"""Rows the program writes and reads only in aggregate, read back one by one for tests.

The program writes the slot ledger (`Ledger.claim_slot`, `finish_slot`), engagement and
follower samples (`MetricsStore`) and competitors' keyword counts (`KeywordCountStore`), and
reads them only as its features need them: which slots are taken (`Ledger.slots_claimed`), what
is due for reading, the report's sums. A test that checks what one row recorded reads it here,
with the package's public schema models, rather than through readers the package would keep
for tests alone (tests/test_no_test_only_code.py keeps it so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from content_queue.schema import EngagementSample, FollowerSample, KeywordCount, SlotClaim

__all__ = ["SlotRecord", "engagement_samples", "follower_samples", "keyword_counts", "recent_slots"]


@dataclass(frozen=True)
class SlotRecord:
    """One row of the slot ledger: who claimed the slot, when, and how it ended."""

    channel: str
    slot_at: datetime
    claimed_by: str
    claimed_at: datetime
    outcome: str
    item_id: int | None
    detail: str | None


def recent_slots(engine: Engine, channel: str | None = None, limit: int = 20) -> list[SlotRecord]:
    """Up to `limit` slots (of `channel`, or of every channel), the latest slot time first."""
    query = select(SlotClaim).order_by(SlotClaim.slot_at.desc()).limit(limit)
    if channel is not None:
        query = query.where(SlotClaim.channel == channel)
    with Session(engine) as s:
        return [
            SlotRecord(
                c.channel, c.slot_at, c.claimed_by, c.claimed_at, c.outcome, c.item_id, c.detail
            )
            for c in s.scalars(query)
        ]


def engagement_samples(engine: Engine, channel: str | None = None) -> list[EngagementSample]:
    """Every engagement reading (of `channel`), in the order they were written."""
    query = select(EngagementSample).order_by(EngagementSample.id)
    if channel is not None:
        query = query.where(EngagementSample.channel == channel)
    with Session(engine) as s:
        return list(s.scalars(query))


def follower_samples(
    engine: Engine, channel: str | None = None
) -> list[tuple[str, datetime, int | None]]:
    """Every follower reading (of `channel`) as (channel, taken at, followers), oldest first."""
    query = select(FollowerSample).order_by(FollowerSample.id)
    if channel is not None:
        query = query.where(FollowerSample.channel == channel)
    with Session(engine) as s:
        return [(r.channel, r.taken_at, r.followers) for r in s.scalars(query)]


def keyword_counts(engine: Engine, network: str | None = None) -> list[KeywordCount]:
    """Every keyword count (of `network`), oldest period first."""
    query = select(KeywordCount).order_by(
        KeywordCount.period_start, KeywordCount.competitor, KeywordCount.id
    )
    if network is not None:
        query = query.where(KeywordCount.network == network)
    with Session(engine) as s:
        return list(s.scalars(query))
