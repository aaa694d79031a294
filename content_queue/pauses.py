"""Channel pauses: a channel's run-time state that must survive restarts, shared by replicas.

A channel is paused by staff (`channels pause`) or by the daemon when its network refuses the
credentials; every replica reads the pause from here before each slot, so one replica's auth
error pauses the channel for all of them. The row (`channel_states`) is also what alerting reads
(the `xensocial_channel_paused` metric): `paused`, why (`pause_reason`, "auth failed: ..." for a
refused token), since when and by whom (a replica's identity, or a person). Each pause and
resume is also written to the audit log, in the same transaction (see `audit`).

`ChannelPauses` is a part of `Ledger` (which mixes it in), kept apart as its own idea.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .audit import Action, record
from .changes import assign
from .plaintext import inert
from .schema import ChannelState, SlotClaim
from .timeutil import Clock

__all__ = ["ChannelPauses", "ChannelStatus"]


@dataclass(frozen=True)
class ChannelStatus:
    channel: str
    paused: bool
    pause_reason: str | None
    paused_at: datetime | None
    paused_by: str | None

    @property
    def note(self) -> str | None:
        """Why nothing posts (`paused: <reason>`), as the ledger, the log and `schedule` say it;
        None when not paused."""
        return f"paused: {self.pause_reason or 'no reason given'}" if self.paused else None


class ChannelPauses:
    """Pause, resume and read the state of channels (mixed into `Ledger`)."""

    _sessions: sessionmaker[Session]
    _clock: Clock

    def pause(self, channel: str, reason: str, *, by: str = "") -> bool:
        """Pause `channel`; False if it was paused already (the reason is then updated; the
        same reason changes nothing)."""
        try:
            return self._pause(channel, reason, by)
        except IntegrityError:
            # Another process created the channel's row at the same moment (the daemon on an
            # auth error, staff from the CLI): it exists now, so a second try updates it.
            return self._pause(channel, reason, by)

    def _pause(self, channel: str, reason: str, by: str) -> bool:
        # Often a network's answer (the daemon pauses on an auth error): made inert, never refused.
        reason = inert(reason, "reason", strict=False)
        with self._sessions.begin() as s:
            state = s.get(ChannelState, channel) or ChannelState(channel=channel, paused=False)
            was = state.paused
            # Paused already with this very reason (a repeated auth failure, a second click):
            # nothing changes, nothing is recorded (`changes`).
            if not assign(state, {"paused": True, "pause_reason": reason}):
                return False
            state.paused_at, state.paused_by = self._clock(), by
            s.add(state)
            detail = f"paused: {reason}" if not was else f"still paused, reason now: {reason}"
            record(s, Action.PAUSE, actor=by, at=self._clock(), channel=channel, detail=detail)
            return not was

    def resume(self, channel: str, *, by: str = "") -> bool:
        """Resume `channel`; False if it was not paused."""
        with self._sessions.begin() as s:
            state = s.get(ChannelState, channel)
            if state is None or not state.paused:
                return False
            was_reason = state.pause_reason
            state.paused, state.pause_reason = False, None
            state.paused_at, state.paused_by = None, None
            detail = f"resumed (was paused: {was_reason or 'no reason given'})"
            record(s, Action.RESUME, actor=by, at=self._clock(), channel=channel, detail=detail)
            return True

    def status(self, channel: str) -> ChannelStatus:
        with self._sessions() as s:
            st = s.get(ChannelState, channel)
            if st is None:
                return ChannelStatus(channel, False, None, None, None)
            return ChannelStatus(channel, st.paused, st.pause_reason, st.paused_at, st.paused_by)

    def paused_by_service(self) -> list[ChannelStatus]:
        """The paused channels the service paused, not a person: what alerting tells of.

        The service pauses a channel only inside a slot it claimed (the network refused the
        post), under its identity; so the pause is the service's when the name that paused it
        claimed a slot of that channel by then. A person claims no slot."""
        by_slot = exists().where(
            SlotClaim.channel == ChannelState.channel,
            SlotClaim.claimed_by == ChannelState.paused_by,
            SlotClaim.claimed_at <= ChannelState.paused_at,
        )
        query = select(ChannelState).where(ChannelState.paused.is_(True), by_slot)
        with self._sessions() as s:
            return [
                ChannelStatus(st.channel, True, st.pause_reason, st.paused_at, st.paused_by)
                for st in s.scalars(query.order_by(ChannelState.channel))
            ]
