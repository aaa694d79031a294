"""The report's delivery record (`report_sends`): owed, claimed, sent, once.

`owe` writes the row before anything is mailed; its `(period, target, recipients, due_at)` is
unique and the same for every replica, so a scheduled report is owed once. Claiming and
marking are the lease protocol alerting uses (`leases.Leases`): a process killed between the
claim and the mark leaves the row pending, and it is sent again at the restart (its own
identity) or once the lease ends (another replica). Knows nothing of reports or mail: periods,
targets and recipients are plain text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .leases import PENDING, Leases
from .report_send_schema import ReportSend
from .timeutil import Clock, system_clock

__all__ = ["ReportSendRow", "ReportSendStore"]


@dataclass(frozen=True)
class ReportSendRow:
    id: int
    period: str
    target: str
    recipients: tuple[str, ...]
    by_hand: bool
    due_at: datetime
    state: str
    attempts: int
    next_try_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None

    @property
    def uid(self) -> str:
        """The mail's identity, the same for every attempt (its `X-Xensocial-Id` header)."""
        text = f"report|{self.period}|{self.target}|{','.join(self.recipients)}|{self.due_at}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _row(r: ReportSend) -> ReportSendRow:
    return ReportSendRow(
        r.id, r.period, r.target, tuple(r.recipients.split("\n")), r.by_hand, r.due_at, r.state,
        r.attempts, r.next_try_at, r.created_at, r.sent_at, r.last_error,
    )  # fmt: skip


class ReportSendStore(Leases):
    """The record of reports mailed (see the module docstring), on the lease protocol."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        super().__init__(bind, ReportSend, clock)

    def owe(
        self,
        period: str,
        target: str,
        recipients: Sequence[str],
        due_at: datetime,
        *,
        by_hand: bool = False,
    ) -> int | None:
        """Record the report owed; its id, or None when it is on record already (another
        replica, an earlier check, a run before a restart)."""
        now = self._clock()
        try:
            with self._sessions.begin() as s:
                row = ReportSend(
                    period=period, target=target, recipients="\n".join(recipients),
                    by_hand=by_hand, due_at=due_at, state=PENDING, attempts=0, next_try_at=now,
                    created_at=now,
                )  # fmt: skip
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            return None

    def due(self, owner: str, *, reclaim_own: bool = False, limit: int = 20) -> list[ReportSendRow]:
        """Pending rows whose time has come and no live claim holds, oldest first; then
        `claim`, `sent`, `failed` (`Leases`)."""
        with self._sessions() as s:
            return [_row(r) for r in s.scalars(self._due_query(owner, reclaim_own, limit))]

    def get(self, row_id: int) -> ReportSendRow | None:
        with self._sessions() as s:
            found = s.get(ReportSend, row_id)
            return None if found is None else _row(found)

    def latest(self, limit: int = 50) -> list[ReportSendRow]:
        """The latest rows, newest first."""
        with self._sessions() as s:
            query = select(ReportSend).order_by(ReportSend.id.desc()).limit(limit)
            return [_row(r) for r in s.scalars(query)]
