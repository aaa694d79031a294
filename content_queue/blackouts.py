"""Blackouts: periods in which a channel (or every channel) posts nothing.

Staff add them from the CLI (`xensocial blackout add`), stored here, and the configuration may
declare more (`[[blackouts]]`, parsed by the service): the publisher asks both, through
`covering`, before each slot. A slot inside a blackout is still claimed in the ledger, as
`skipped` with `blackout: <reason>`, so it is used up: when the blackout ends nothing is caught
up, and no flood follows.

A period covers the instants `starts_at <= t < ends_at`. Adding and removing a blackout are
written to the audit log in the same transaction. `ChannelBlackouts` is a part of `Ledger`
(which mixes it in), kept apart as its own idea, like `pauses`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from .audit import Action, record
from .errors import BlackoutNotFound, InvalidBlackout
from .limits import MAX_ACTOR, nul_problem
from .plaintext import inert
from .schema import Blackout
from .timeutil import Clock, as_utc

__all__ = [
    "BlackoutNotFound",
    "BlackoutView",
    "ChannelBlackouts",
    "InvalidBlackout",
    "Period",
    "blackout_note",
    "covering",
]

_MAX_REASON = 1000


class Period(Protocol):
    """What `covering` reads of a blackout: a stored one, or one from the configuration."""

    @property
    def reason(self) -> str: ...

    def covers(self, channel: str, at: datetime) -> bool: ...


P = TypeVar("P", bound=Period)


def covering(periods: Iterable[P], channel: str, at: datetime) -> P | None:
    """The first of `periods` during which `channel` may not post at `at`, or None."""
    return next((p for p in periods if p.covers(channel, at)), None)


def blackout_note(period: Period) -> str:
    """Why a slot is skipped, as the ledger, the daemon's log and the schedule all say it."""
    return f"blackout: {period.reason or 'no reason given'}"


@dataclass(frozen=True)
class BlackoutView:
    """A stored blackout. `channel` None: every channel."""

    id: int
    channel: str | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, b: Blackout) -> BlackoutView:
        return cls(b.id, b.channel, b.starts_at, b.ends_at, b.reason, b.created_by, b.created_at)

    def covers(self, channel: str, at: datetime) -> bool:
        mine = self.channel is None or self.channel == channel
        return mine and self.starts_at <= at < self.ends_at

    def describe(self) -> str:
        """One line for the audit log (times in UTC: the log shows its own times locally)."""
        where = self.channel or "every channel"
        start, end = (t.strftime("%Y-%m-%d %H:%M UTC") for t in (self.starts_at, self.ends_at))
        return (
            f"blackout {self.id} on {where}, {start} to {end}: {self.reason or 'no reason given'}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "from": self.starts_at.isoformat(),
            "to": self.ends_at.isoformat(),
            "reason": self.reason,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


def _check_period(starts_at: datetime, ends_at: datetime, reason: str) -> None:
    """Raise InvalidBlackout unless the period can be stored as it is."""
    if as_utc(ends_at) <= as_utc(starts_at):
        raise InvalidBlackout("the end must be later than the start")
    if len(reason) > _MAX_REASON:
        raise InvalidBlackout(f"the reason has {len(reason)} characters, at most {_MAX_REASON}")
    nul = nul_problem([("reason", reason)])
    if nul is not None:
        raise InvalidBlackout(nul[1])


class ChannelBlackouts:
    """Add, remove and read stored blackouts (mixed into `Ledger`)."""

    _sessions: sessionmaker[Session]
    _clock: Clock

    def add_blackout(
        self,
        starts_at: datetime,
        ends_at: datetime,
        *,
        reason: str,
        channels: Sequence[str] = (),
        by: str = "",
    ) -> list[BlackoutView]:
        """Store a blackout of `channels` (empty: every channel), one row per channel, in one
        transaction. Raises InvalidBlackout when the end is not after the start."""
        _check_period(starts_at, ends_at, reason.strip())
        reason = inert(reason, "reason").strip()
        now = self._clock()
        targets: list[str | None] = [*dict.fromkeys(channels)] or [None]
        with self._sessions.begin() as s:
            rows = [
                Blackout(
                    channel=channel,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    reason=reason,
                    created_by=by[:MAX_ACTOR],
                    created_at=now,
                )
                for channel in targets
            ]
            s.add_all(rows)
            s.flush()
            views = [BlackoutView.of(b) for b in rows]
            for view in views:
                record(
                    s,
                    Action.BLACKOUT_ADD,
                    actor=by,
                    at=now,
                    channel=view.channel,
                    detail=view.describe(),
                )
            return views

    def remove_blackout(self, blackout_id: int, *, by: str = "") -> BlackoutView:
        """Delete a stored blackout (the audit log keeps what it was)."""
        with self._sessions.begin() as s:
            row = s.get(Blackout, blackout_id)
            if row is None:
                raise BlackoutNotFound(blackout_id)
            view = BlackoutView.of(row)
            s.execute(delete(Blackout).where(Blackout.id == blackout_id))
            record(
                s,
                Action.BLACKOUT_REMOVE,
                actor=by,
                at=self._clock(),
                channel=view.channel,
                detail=view.describe(),
            )
            return view

    def blackouts(self, *, ending_after: datetime | None = None) -> list[BlackoutView]:
        """Stored blackouts, earliest start first; with `ending_after`, only those that end
        after it (the current and coming ones)."""
        query = select(Blackout).order_by(Blackout.starts_at, Blackout.id)
        if ending_after is not None:
            query = query.where(Blackout.ends_at > ending_after)
        with self._sessions() as s:
            return [BlackoutView.of(b) for b in s.scalars(query)]
