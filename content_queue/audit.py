"""The audit log: who changed what, and when, for every change staff or the daemon make.

An entry is written by `record`, inside the very transaction that makes the change it records
(the queue's and the ledger's methods call it with their own session), so the log can never
claim a change that was rolled back, nor miss one that was committed. Rows are only appended.

Who: a person's name (`xensocial --as NAME`, else the OS user), a replica's `identity` for what
the daemon does (publish, failure, a pause after an authentication error), `feed:NAME` for
items a feed queued, `import_at_start@IDENTITY` for the daemon's start-up imports.

`AuditLog` reads the entries back for `xensocial log`, newest first.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .db import make_sessionmaker
from .limits import MAX_ACTOR, MAX_DETAIL
from .schema import AuditEntry, Delivery

__all__ = ["Action", "AuditLog", "AuditRecord", "record", "shorten"]


class Action(enum.StrEnum):
    """What an entry records (stored as its value)."""

    ADD = "add"
    EDIT = "edit"
    APPROVE = "approve"
    CANCEL = "cancel"
    RETRY = "retry"
    RESOLVE = "resolve"
    PAUSE = "pause"
    RESUME = "resume"
    BLACKOUT_ADD = "blackout-add"
    BLACKOUT_REMOVE = "blackout-remove"
    PUBLISH = "publish"
    FAIL = "fail"
    UNKNOWN = "unknown"
    ACCOUNT_ADD = "account-add"
    ACCOUNT_REMOVE = "account-remove"
    ACCOUNT_ROLE = "account-role"
    ACCOUNT_PASSWORD = "account-password"


def shorten(text: str, limit: int = 80) -> str:
    """`text` on one line, cut to `limit` characters with "…": for quoting values in details."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def record(
    s: Session,
    action: Action,
    *,
    actor: str | None,
    at: datetime,
    item_id: int | None = None,
    channel: str | None = None,
    detail: str = "",
) -> None:
    """Append one entry in `s`'s transaction (committed, or rolled back, with the change)."""
    s.add(
        AuditEntry(
            at=at,
            actor=(actor or "unknown")[:MAX_ACTOR],
            action=action.value,
            item_id=item_id,
            channel=channel,
            detail=detail[:MAX_DETAIL],
        )
    )


@dataclass(frozen=True)
class AuditRecord:
    """One entry, as a frozen value."""

    id: int
    at: datetime
    actor: str
    action: str
    item_id: int | None
    channel: str | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "item_id": self.item_id,
            "channel": self.channel,
            "detail": self.detail,
        }


class AuditLog:
    """Reads the audit log (writing is `record`, inside each change's own transaction)."""

    def __init__(self, bind: Engine | sessionmaker[Session]) -> None:
        self._sessions = make_sessionmaker(bind) if isinstance(bind, Engine) else bind

    def entries(
        self,
        *,
        item_id: int | None = None,
        channel: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[AuditRecord]:
        """Entries, newest first. With `channel`: what concerned that channel, i.e. its own
        entries (pause, publish, ...), entries of items that target it (add, approve, ...) and
        entries that concern every channel (a blackout without a channel)."""
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        if item_id is not None:
            query = query.where(AuditEntry.item_id == item_id)
        if channel is not None:
            targets = exists().where(
                Delivery.item_id == AuditEntry.item_id, Delivery.channel == channel
            )
            query = query.where(
                or_(
                    AuditEntry.channel == channel,
                    and_(AuditEntry.channel.is_(None), AuditEntry.item_id.is_(None)),
                    and_(AuditEntry.channel.is_(None), targets),
                )
            )
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        with self._sessions() as s:
            return [
                AuditRecord(e.id, e.at, e.actor, e.action, e.item_id, e.channel, e.detail)
                for e in s.scalars(query.limit(limit))
            ]

    def knows_channel(self, channel: str) -> bool:
        """Whether any entry names `channel` (one removed from the configuration since)."""
        with self._sessions() as s:
            found = s.scalar(select(AuditEntry.id).where(AuditEntry.channel == channel).limit(1))
            return found is not None
