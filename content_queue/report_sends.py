"""The report's delivery record (`report_sends`): owed, claimed, sent, once.

`owe` writes the row before anything is mailed; its `(period, target, recipients, due_at)` is
unique and the same for every replica, so a scheduled report is owed once. Claiming and
marking are the lease protocol alerting uses (`leases.Leases`): a process killed between the
claim and the mark leaves the row pending, and it is sent again at the restart (its own
identity) or once the lease ends (another replica). Knows nothing of reports or mail: periods,
targets and recipients are plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .leases import LeasedRow, Leases, lease_fields, message_uid
from .report_send_schema import ReportSend
from .timeutil import Clock, system_clock

__all__ = ["ReportSendRow", "ReportSendStore"]


@dataclass(frozen=True)
class ReportSendRow(LeasedRow):
    period: str
    target: str
    recipients: tuple[str, ...]
    by_hand: bool
    due_at: datetime

    @property
    def uid(self) -> str:
        """The mail's identity, the same for every attempt (its `X-Xensocial-Id` header)."""
        return message_uid(
            f"report|{self.period}|{self.target}|{','.join(self.recipients)}|{self.due_at}"
        )


def _row(r: ReportSend) -> ReportSendRow:
    return ReportSendRow(
        r.period, r.target, tuple(r.recipients.split("\n")), r.by_hand, r.due_at, **lease_fields(r)
    )


class ReportSendStore(Leases[ReportSendRow]):
    """The record of reports mailed (see the module docstring), on the lease protocol: due
    (a few at a time: each is a report built and mailed), claimed, marked, read (`latest`)."""

    due_at_once = 20

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        super().__init__(bind, ReportSend, _row, clock)

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
        return self._write_owed(
            self._clock(), period=period, target=target, recipients="\n".join(recipients),
            by_hand=by_hand, due_at=due_at,
        )  # fmt: skip

    def get(self, row_id: int) -> ReportSendRow | None:
        with self._sessions() as s:
            found = s.get(ReportSend, row_id)
            return None if found is None else _row(found)
