"""The report's delivery record: each report owed to a list of recipients, sent once.

`report_sends`: one row per (period, target, recipients, due time), written before the mail is
sent and marked `sent` after, as alerting's `notices` are (the same lease columns, the same
protocol: `leases`). A scheduled delivery's `due_at` is the period's send time (the 1st at
09:00 local for the month before), the same for every replica, so a report is owed once
whichever replica or restart records it first. A report sent by hand (`by_hand`) is due the
moment it was asked for: it is on record, and never stands in for the scheduled one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .schema_base import Base, LeaseColumns

__all__ = ["ReportSend"]


class ReportSend(LeaseColumns, Base):
    __tablename__ = "report_sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(20))  # "2026-11" or "2026-Q4"
    target: Mapped[str] = mapped_column(String(100))  # the [[notify]] email target's name
    recipients: Mapped[str] = mapped_column(Text)  # the addresses, one a line, in order
    by_hand: Mapped[bool] = mapped_column(Boolean)
    due_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("period", "target", "recipients", "due_at", name="uq_report_sends_once"),
        Index("ix_report_sends_state_next_try", "state", "next_try_at"),
    )
