"""Alerting's record: which events are on, and each notification owed, sent or given up.

The protocol is the publisher's, applied to notifications (tables in `notice_schema`; the
claim and the marks are `leases`, shared with the report's delivery):

1. **Record.** `record(found, targets)` compares what a check found with the events on record.
   An event that starts (or starts again after clearing) or clears is a compare-and-set on its
   row, and the notices it owes (one per target that wants it) are written in the same
   transaction; an event still on owes a `repeat` notice once the target's repeat period has
   passed since the last one. Every notice's `(event, target, phase, due_at)` is unique and the
   same for whichever replica computes it, so a notice is owed once.
2. **Claim.** `claim(id, owner, until)` takes a pending, due notice for a while (a lease), as a
   delivery is claimed before its network call; the attempt is counted then.
3. **Send, then mark.** `sent(id, owner)` after the target accepted it; `failed(id, owner,
   error, retry_at)` after it refused, with when to try again (None: given up). A crash between
   claim and mark leaves the row pending and claimed: once the lease runs out (or at once, by the
   same identity after a restart: `reclaim_own`) it is sent again.

So a notification is sent at least once, and exactly once when the target deduplicates on
`NoticeRow.uid` (a Matrix transaction id, the webhook's id header) or the sender did not die
between the target's answer and the commit. Knows nothing of what a target is: targets are names
with a repeat period and a filter (`Audience`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .leases import LeasedRow, Leases, lease_fields, message_uid
from .notice_schema import Notice, NoticeEvent
from .timeutil import Clock, system_clock

__all__ = ["Audience", "EventRow", "Found", "NoticeRow", "NoticeStore", "Recorded"]

_TOLD = ("start", "repeat")  # the phases that tell a target an event is on


@dataclass(frozen=True)
class Found:
    """An event a check found on now: its key is `kind:subject`."""

    kind: str
    subject: str
    severity: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


class Audience(Protocol):
    """A target as the record needs it: its name, how often it hears of an event that lasts,
    and which events it wants."""

    @property
    def name(self) -> str: ...

    @property
    def repeat(self) -> timedelta: ...

    def wants(self, kind: str, severity: str) -> bool: ...


@dataclass(frozen=True)
class Recorded:
    started: tuple[str, ...]  # event keys that started (or started again) in this check
    cleared: tuple[str, ...]
    owed: int  # notices written


@dataclass(frozen=True)
class EventRow:
    key: str
    kind: str
    subject: str
    severity: str
    message: str
    active: bool
    started_at: datetime
    seen_at: datetime
    cleared_at: datetime | None


@dataclass(frozen=True)
class NoticeRow(LeasedRow):
    event_key: str
    target: str
    phase: str
    due_at: datetime
    severity: str
    message: str

    @property
    def kind(self) -> str:
        return self.event_key.partition(":")[0]

    @property
    def subject(self) -> str:
        return self.event_key.partition(":")[2]

    @property
    def uid(self) -> str:
        """The notification's identity, the same for every attempt and every replica: what a
        target deduplicates on (Matrix's transaction id, the webhook's id header)."""
        return message_uid(f"{self.event_key}|{self.target}|{self.phase}|{self.due_at.isoformat()}")


def _notice(n: Notice) -> NoticeRow:
    return NoticeRow(
        n.event_key, n.target, n.phase, n.due_at, n.severity, n.message, **lease_fields(n)
    )


def _event(e: NoticeEvent) -> EventRow:
    return EventRow(
        e.key, e.kind, e.subject, e.severity, e.message, e.active, e.started_at, e.seen_at,
        e.cleared_at,
    )  # fmt: skip


class NoticeStore(Leases[NoticeRow]):
    """The record of events and notifications (see the module docstring); due, claimed,
    marked and read (`latest`) by the lease protocol it is made on (`Leases`)."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        super().__init__(bind, Notice, _notice, clock)

    # -- 1. record ---------------------------------------------------------------------------

    def record(self, found: Sequence[Found], targets: Sequence[Audience]) -> Recorded:
        """Bring the record in line with what a check `found` (every event on now; any other
        event on record clears) and write the notices owed to `targets`."""
        now = self._clock()
        with self._sessions() as s:
            known = {e.key: _event(e) for e in s.scalars(select(NoticeEvent))}
        started: list[str] = []
        cleared: list[str] = []
        owed = 0
        for event in {f.key: f for f in found}.values():
            row = known.get(event.key)
            if row is None or not row.active:
                if self._start(event, row is None, now):
                    started.append(event.key)
                    owed += self._owe_all(event.key, "start", now, now, event, targets)
                continue
            with self._sessions.begin() as s:
                s.execute(
                    update(NoticeEvent)
                    .where(NoticeEvent.key == event.key)
                    .values(seen_at=now, message=event.message, severity=event.severity)
                )
            owed += self._repeats(row, event, targets, now)
        on = {f.key for f in found}
        for row in known.values():
            if row.active and row.key not in on and self._clear(row.key, now):
                cleared.append(row.key)
                owed += self._owe_clear(row, targets, now)
        return Recorded(tuple(started), tuple(cleared), owed)

    def _start(self, event: Found, new: bool, now: datetime) -> bool:
        """Turn the event on; False when another process did it first."""
        values = {
            "severity": event.severity,
            "message": event.message,
            "active": True,
            "started_at": now,
            "seen_at": now,
            "cleared_at": None,
        }
        try:
            with self._sessions.begin() as s:
                if new:
                    s.add(
                        NoticeEvent(key=event.key, kind=event.kind, subject=event.subject, **values)
                    )
                    return True
                done = s.execute(
                    update(NoticeEvent)
                    .where(NoticeEvent.key == event.key, NoticeEvent.active.is_(False))
                    .values(**values)
                )
                return bool(done.rowcount)  # type: ignore[attr-defined]
        except IntegrityError:
            return False

    def _clear(self, key: str, now: datetime) -> bool:
        with self._sessions.begin() as s:
            done = s.execute(
                update(NoticeEvent)
                .where(NoticeEvent.key == key, NoticeEvent.active.is_(True))
                .values(active=False, cleared_at=now)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def _repeats(
        self, row: EventRow, event: Found, targets: Sequence[Audience], now: datetime
    ) -> int:
        owed = 0
        for target in targets:
            if not target.wants(event.kind, event.severity):
                continue
            last = self._last_told(row.key, target.name, row.started_at)
            if last is None:  # a target added (or subscribed) while the event was on
                owed += self._owe(row.key, target.name, "start", row.started_at, event, now)
            elif now >= last + target.repeat:
                periods = (now - last) // target.repeat  # a long outage owes one, not a backlog
                due = last + target.repeat * periods
                owed += self._owe(row.key, target.name, "repeat", due, event, now)
        return owed

    def _last_told(self, key: str, target: str, since: datetime) -> datetime | None:
        with self._sessions() as s:
            return s.scalar(
                select(func.max(Notice.due_at)).where(
                    Notice.event_key == key,
                    Notice.target == target,
                    Notice.phase.in_(_TOLD),
                    Notice.due_at >= since,
                )
            )

    def _owe_all(
        self, key: str, phase: str, due: datetime, now: datetime, event: Found,
        targets: Sequence[Audience],
    ) -> int:  # fmt: skip
        return sum(
            self._owe(key, t.name, phase, due, event, now)
            for t in targets
            if t.wants(event.kind, event.severity)
        )

    def _owe_clear(self, row: EventRow, targets: Sequence[Audience], now: datetime) -> int:
        """A clearing is owed to the targets that were told the event was on."""
        event = Found(row.kind, row.subject, row.severity, row.message)
        return sum(
            self._owe(row.key, t.name, "clear", now, event, now)
            for t in targets
            if self._last_told(row.key, t.name, row.started_at) is not None
        )

    def _owe(
        self, key: str, target: str, phase: str, due: datetime, event: Found, now: datetime
    ) -> int:
        written = self._write_owed(
            now, event_key=key, target=target, phase=phase, due_at=due,
            severity=event.severity, message=event.message,
        )  # fmt: skip
        return 0 if written is None else 1  # None: owed already (another replica, a check before)

    # -- 2. claim, 3. mark: `Leases.due`, `claim`, `sent`, `failed` --------------------------
    # -- reading: the events here, the notices with `Leases.latest` --------------------------

    def events(self, limit: int = 50) -> list[EventRow]:
        """Events on record, those on first, then the latest."""
        query = (
            select(NoticeEvent)
            .order_by(NoticeEvent.active.desc(), NoticeEvent.seen_at.desc())
            .limit(limit)
        )
        with self._sessions() as s:
            return [_event(e) for e in s.scalars(query)]
