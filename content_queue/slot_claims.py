"""The slot ledger: one row per (channel, slot time), claimed once, with its outcome.

Its own module because it is the protocol's first step and nothing else of the ledger touches
`slot_claims`: the unique constraint on (channel, slot time) is what keeps a restart or a second
replica from using a slot again, and the outcome written back is what `log` and `schedule`
show for every slot. `SlotClaims` is a part of `Ledger` (which mixes it in).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .schema import SlotClaim, SlotOutcome
from .timeutil import Clock

__all__ = ["SlotClaims"]


class SlotClaims:
    """Claim a slot, write its outcome, read which slots are taken (mixed into `Ledger`)."""

    _sessions: sessionmaker[Session]
    _clock: Clock

    def claim_slot(self, channel: str, slot_at: datetime, owner: str) -> int | None:
        """Take the slot; its claim id, or None when the slot was already taken (by anyone)."""
        try:
            with self._sessions.begin() as s:
                claim = SlotClaim(
                    channel=channel,
                    slot_at=slot_at,
                    claimed_by=owner,
                    claimed_at=self._clock(),
                    outcome=SlotOutcome.CLAIMED.value,
                )
                s.add(claim)
                s.flush()
                return claim.id
        except IntegrityError:
            return None

    def finish_slot(
        self,
        claim_id: int,
        outcome: SlotOutcome,
        *,
        item_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(SlotClaim)
                .where(SlotClaim.id == claim_id)
                .values(
                    outcome=outcome.value, item_id=item_id, detail=detail, finished_at=self._clock()
                )
            )

    def slots_claimed(self, channel: str, since: datetime) -> set[datetime]:
        """The slot times of `channel` claimed at or after `since`."""
        with self._sessions() as s:
            rows = s.scalars(
                select(SlotClaim.slot_at).where(
                    SlotClaim.channel == channel, SlotClaim.slot_at >= since
                )
            )
            return set(rows)
