"""Alerting's two tables: the events found, and each notification owed to a target.

- `notice_events`: one row per event key (`kind:subject`, such as `channel_paused:mastodon`),
  whether it is on now, since when, and when it last cleared. Turning an event on or off is a
  compare-and-set on this row, so of two replicas finding the same change only one records it.
- `notices`: one row per notification (an event starting, repeated or cleared, for one target),
  written before anything is sent and marked `sent` after: a crash in between leaves it
  `pending`, and it is sent after the restart. `(event_key, target, phase, due_at)` is unique:
  every field of it is the same for every replica (`due_at` is the event's start, its clearing,
  or the previous notice's time plus the target's repeat period), so a notice cannot be owed
  twice. A sender claims a row for a while (`claimed_by`, `claimed_until`), as a delivery is
  claimed, before it sends.

The queue's words do not appear here: kinds, severities and targets are plain names, decided by
the service (`xensocial.notify`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .schema_base import Base

__all__ = ["Notice", "NoticeEvent"]


class NoticeEvent(Base):
    __tablename__ = "notice_events"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(250))
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]  # the latest check that found it on
    cleared_at: Mapped[datetime | None]


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(300))
    target: Mapped[str] = mapped_column(String(100))
    phase: Mapped[str] = mapped_column(String(10))  # start, repeat, clear
    due_at: Mapped[datetime]
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("event_key", "target", "phase", "due_at", name="uq_notices_once"),
        Index("ix_notices_state_next_try", "state", "next_try_at"),
    )
