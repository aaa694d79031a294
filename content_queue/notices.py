"""Alerting's record: which events are on, and each notification owed, sent or given up.

The protocol is the publisher's, applied to notifications (tables in `notice_schema`):

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

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .db import make_sessionmaker
from .notice_schema import Notice, NoticeEvent
from .timeutil import Clock, system_clock

__all__ = ["Audience", "EventRow", "Found", "NoticeRow", "NoticeStore", "Recorded"]

PENDING, SENT, FAILED = "pending", "sent", "failed"
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
class NoticeRow:
    id: int
    event_key: str
    target: str
    phase: str
    due_at: datetime
    severity: str
    message: str
    state: str
    attempts: int
    next_try_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None

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
        text = f"{self.event_key}|{self.target}|{self.phase}|{self.due_at.isoformat()}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _notice(n: Notice) -> NoticeRow:
    return NoticeRow(
        n.id, n.event_key, n.target, n.phase, n.due_at, n.severity, n.message, n.state,
        n.attempts, n.next_try_at, n.created_at, n.sent_at, n.last_error,
    )  # fmt: skip


def _event(e: NoticeEvent) -> EventRow:
    return EventRow(
        e.key, e.kind, e.subject, e.severity, e.message, e.active, e.started_at, e.seen_at,
        e.cleared_at,
    )  # fmt: skip


class NoticeStore:
    """The record of events and notifications (see the module docstring)."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        self._sessions = make_sessionmaker(bind) if isinstance(bind, Engine) else bind
        self._clock = clock

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
        try:
            with self._sessions.begin() as s:
                s.add(
                    Notice(
                        event_key=key, target=target, phase=phase, due_at=due,
                        severity=event.severity, message=event.message, state=PENDING,
                        attempts=0, next_try_at=now, created_at=now,
                    )
                )  # fmt: skip
            return 1
        except IntegrityError:  # owed already (another replica, an earlier check)
            return 0

    # -- 2. claim, 3. mark -------------------------------------------------------------------

    def _claimable(self, now: datetime, owner: str, reclaim_own: bool) -> ColumnElement[bool]:
        free = or_(Notice.claimed_until.is_(None), Notice.claimed_until < now)
        if reclaim_own:
            free = or_(free, Notice.claimed_by == owner)
        return and_(Notice.state == PENDING, Notice.next_try_at <= now, free)

    def due(self, owner: str, *, reclaim_own: bool = False, limit: int = 100) -> list[NoticeRow]:
        """Pending notices whose time has come and no live claim holds, oldest first.
        `reclaim_own`: this process holds `owner`'s identity lock, so a claim under that name
        was made by a process that died."""
        query = (
            select(Notice)
            .where(self._claimable(self._clock(), owner, reclaim_own))
            .order_by(Notice.id)
            .limit(limit)
        )
        with self._sessions() as s:
            return [_notice(n) for n in s.scalars(query)]

    def claim(
        self, notice_id: int, owner: str, lease: timedelta, *, reclaim_own: bool = False
    ) -> bool:
        """Take the notice for `lease` and count the attempt; False when it is not free."""
        now = self._clock()
        with self._sessions.begin() as s:
            done = s.execute(
                update(Notice)
                .where(Notice.id == notice_id, self._claimable(now, owner, reclaim_own))
                .values(claimed_by=owner, claimed_until=now + lease, attempts=Notice.attempts + 1)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def sent(self, notice_id: int, owner: str) -> bool:
        """The target took it; False when the claim was lost meanwhile (then it was sent by
        this process and may be sent again by the new holder: at least once)."""
        return self._finish(notice_id, owner, state=SENT, sent_at=self._clock(), last_error=None)

    def failed(self, notice_id: int, owner: str, error: str, retry_at: datetime | None) -> bool:
        """The target refused it: try again at `retry_at`, or never (None: `failed`)."""
        if retry_at is None:
            return self._finish(notice_id, owner, state=FAILED, last_error=error)
        return self._finish(notice_id, owner, next_try_at=retry_at, last_error=error)

    def _finish(self, notice_id: int, owner: str, **values: object) -> bool:
        with self._sessions.begin() as s:
            done = s.execute(
                update(Notice)
                .where(Notice.id == notice_id, Notice.claimed_by == owner, Notice.state == PENDING)
                .values(claimed_by=None, claimed_until=None, **values)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    # -- reading -----------------------------------------------------------------------------

    def events(self, limit: int = 50) -> list[EventRow]:
        """Events on record, those on first, then the latest."""
        query = (
            select(NoticeEvent)
            .order_by(NoticeEvent.active.desc(), NoticeEvent.seen_at.desc())
            .limit(limit)
        )
        with self._sessions() as s:
            return [_event(e) for e in s.scalars(query)]

    def notices(self, limit: int = 50) -> list[NoticeRow]:
        """The latest notices, newest first."""
        with self._sessions() as s:
            query = select(Notice).order_by(Notice.id.desc()).limit(limit)
            return [_notice(n) for n in s.scalars(query)]
