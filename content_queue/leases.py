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

What the two record in common besides the protocol is here too: writing a row owed (`_write_owed`:
pending, no attempt yet, due now; None when its unique key is on record already), reading the
due rows and the latest ones as the caller's row type, that row type's lease fields
(`LeasedRow`), and the identity a receiver deduplicates on (`message_uid`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .db import Store
from .timeutil import Clock, system_clock

__all__ = ["FAILED", "PENDING", "SENT", "LeasedRow", "Leases", "lease_fields", "message_uid"]

PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True, kw_only=True)
class LeasedRow:
    """What a row on the lease protocol shows whatever it owes; `NoticeRow` and `ReportSendRow`
    add their own fields (keyword-only here, so theirs stay positional)."""

    id: int
    state: str
    attempts: int
    next_try_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


def lease_fields(row: Any) -> dict[str, Any]:
    """The `LeasedRow` fields of a stored row (a `LeaseColumns` table's), by name."""
    return {f.name: getattr(row, f.name) for f in fields(LeasedRow)}


def message_uid(identity: str) -> str:
    """The id a receiver deduplicates on, from the text that names the message: the same for
    every attempt and every replica (a Matrix transaction id, a webhook's or a mail's id
    header)."""
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


Row = TypeVar("Row", bound=LeasedRow)


class Leases(Store, Generic[Row]):
    """The lease protocol on the rows of `model` (see the module docstring), read as `Row`s
    through `read`; the stores of the tables that use it (`NoticeStore`, `ReportSendStore`)
    are made on it. `due_at_once`: how many due rows `due` returns by default."""

    due_at_once = 100

    def __init__(
        self,
        bind: Engine | sessionmaker[Session],
        model: Any,
        read: Callable[[Any], Row],
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(bind, clock)
        self._model = model
        self._read = read

    def _write_owed(self, now: datetime, **values: object) -> int | None:
        """Write a row owed, pending and due `now`; its id, or None when its unique key is on
        record already (another replica, an earlier check, a run before a restart)."""
        try:
            with self._sessions.begin() as s:
                row = self._model(
                    state=PENDING, attempts=0, next_try_at=now, created_at=now, **values
                )
                s.add(row)
                s.flush()
                return int(row.id)
        except IntegrityError:
            return None

    def due(self, owner: str, *, reclaim_own: bool = False, limit: int | None = None) -> list[Row]:
        """Pending rows whose time has come and no live claim holds, oldest first (at most
        `limit`, by default `due_at_once`); then `claim`, `sent`, `failed`. `reclaim_own`: this
        process holds `owner`'s identity lock, so a claim under that name was made by a process
        that died."""
        m, at_most = self._model, self.due_at_once if limit is None else limit
        where = self.claimable(self._clock(), owner, reclaim_own)
        query = select(m).where(where).order_by(m.id).limit(at_most)
        with self._sessions() as s:
            return [self._read(r) for r in s.scalars(query)]

    def latest(self, limit: int = 50) -> list[Row]:
        """The latest rows, newest first."""
        with self._sessions() as s:
            query = select(self._model).order_by(self._model.id.desc()).limit(limit)
            return [self._read(r) for r in s.scalars(query)]

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
