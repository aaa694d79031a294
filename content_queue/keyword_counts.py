"""Keyword counts: how many posts on a network mentioned a competitor over a period, as the
network counted them.

Its own module because it is stored unlike clips and activities: counts are appended and never
overwritten (a period already recorded is left as it was: the table's unique constraint makes a
repeat a no-op), with no duplicate to report and no CSV import, so it shares none of their
store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .db import Store
from .schema import KeywordCount
from .timeutil import as_utc

__all__ = ["KeywordCountStore"]


class KeywordCountStore(Store):
    """Posts per competitor per period, as a network counted them; appended, never changed."""

    def record(
        self,
        competitor: str,
        network: str,
        periods: Sequence[tuple[datetime, datetime, int]],
    ) -> int:
        """Append one row per (start, end, posts) not yet recorded; returns how many were new.
        A period already recorded keeps its first count (a later reading is not an update)."""
        taken = self._clock()
        added = 0
        with self._sessions.begin() as s:
            recorded = s.execute(
                select(KeywordCount.period_start, KeywordCount.period_end).where(
                    KeywordCount.competitor == competitor, KeywordCount.network == network
                )
            )
            known = {(start, end) for start, end in recorded}
            for start, end, posts in ((as_utc(a), as_utc(b), n) for a, b, n in periods):
                if (start, end) in known:
                    continue
                try:
                    with s.begin_nested():
                        s.add(
                            KeywordCount(
                                competitor=competitor,
                                network=network,
                                period_start=start,
                                period_end=end,
                                posts=posts,
                                taken_at=taken,
                            )
                        )
                        s.flush()
                except IntegrityError:  # recorded by another process meanwhile
                    continue
                known.add((start, end))
                added += 1
        return added

    def latest_end(self, competitor: str, network: str) -> datetime | None:
        """The end of the latest period recorded for `competitor` on `network`."""
        with self._sessions() as s:
            return s.scalar(
                select(func.max(KeywordCount.period_end)).where(
                    KeywordCount.competitor == competitor, KeywordCount.network == network
                )
            )
