"""Claim a recorded message for a while, then mark it sent or failed: the lease protocol.

Two features record what they owe before sending it and mark it after (alerting's `notices`,
the report's `report_sends`), so that a crash between the two sends it again and two replicas
never both send it. Their tables differ in what they owe; the protocol on a row is the same,
and lives here once. A table that uses it has the columns `id`, `state` (`pending`, `sent`,
`failed`), `attempts`, `next_try_at`, `claimed_by`, `claimed_until`, `sent_at`, `last_error`.

- `claim(id, owner, lease)`: take a pending row whose time has come and that no live claim
  holds, for `lease`, and count the attempt. `reclaim_own`: the caller holds `owner`'s
  identity lock, so a claim under that name belongs to a process that died.
- `sent(id, owner)` / `failed(id, owner, error, retry_at)`: release the claim with the outcome,
  only while the claim is still the caller's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .db import Store
from .timeutil import Clock, system_clock

__all__ = ["FAILED", "PENDING", "SENT", "Leases"]

PENDING, SENT, FAILED = "pending", "sent", "failed"


class Leases(Store):
    """The lease protocol on the rows of `model` (see the module docstring); the stores of
    the tables that use it (`NoticeStore`, `ReportSendStore`) are made on it."""

    def __init__(
        self, bind: Engine | sessionmaker[Session], model: Any, clock: Clock = system_clock
    ) -> None:
        super().__init__(bind, clock)
        self._model = model

    def _due_query(self, owner: str, reclaim_own: bool, limit: int) -> Select[Any]:
        """The rows whose time has come and no live claim holds, oldest first."""
        m = self._model
        where = self.claimable(self._clock(), owner, reclaim_own)
        return select(m).where(where).order_by(m.id).limit(limit)

    def claimable(self, now: datetime, owner: str, reclaim_own: bool) -> ColumnElement[bool]:
        """Pending, due, and free (no claim, an expired one, or the caller's own dead one)."""
        m = self._model
        free = or_(m.claimed_until.is_(None), m.claimed_until < now)
        if reclaim_own:
            free = or_(free, m.claimed_by == owner)
        return and_(m.state == PENDING, m.next_try_at <= now, free)

    def claim(
        self, row_id: int, owner: str, lease: timedelta, *, reclaim_own: bool = False
    ) -> bool:
        """Take the row for `lease` and count the attempt; False when it is not free."""
        m, now = self._model, self._clock()
        with self._sessions.begin() as s:
            done = s.execute(
                update(m)
                .where(m.id == row_id, self.claimable(now, owner, reclaim_own))
                .values(claimed_by=owner, claimed_until=now + lease, attempts=m.attempts + 1)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def sent(self, row_id: int, owner: str) -> bool:
        """The receiver took it; False when the claim was lost meanwhile (then it was sent by
        this process and may be sent again by the new holder: at least once)."""
        return self._finish(row_id, owner, state=SENT, sent_at=self._clock(), last_error=None)

    def failed(self, row_id: int, owner: str, error: str, retry_at: datetime | None) -> bool:
        """The receiver refused it: try again at `retry_at`, or never (None: `failed`)."""
        if retry_at is None:
            return self._finish(row_id, owner, state=FAILED, last_error=error)
        return self._finish(row_id, owner, next_try_at=retry_at, last_error=error)

    def _finish(self, row_id: int, owner: str, **values: object) -> bool:
        m = self._model
        with self._sessions.begin() as s:
            done = s.execute(
                update(m)
                .where(m.id == row_id, m.claimed_by == owner, m.state == PENDING)
                .values(claimed_by=None, claimed_until=None, **values)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]
