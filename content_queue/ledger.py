"""The publishing side of the queue: slot claims, delivery transitions, channel pauses.

These are the database steps of the exactly-once protocol (the protocol itself, which calls the
network between them, lives in `xensocial.publishing`). Each step is one short transaction, and
each transition is conditional on the state it expects, so two processes racing for the same
slot or delivery cannot both win:

- `claim_slot` inserts into the slot ledger under a unique (channel, slot time) constraint;
- `begin_publish` moves a delivery from pending to publishing only if it is still pending,
  recording the owner and a lease;
- `mark_published`, `release`, `mark_failed`, `mark_unknown` finish it, again only from the
  state they expect (each returns whether it did), and, given `owner`, only while that owner
  still holds it: a process whose lease expired cannot finish a delivery another has taken over;
- `take_over` moves an abandoned delivery (its lease expired) to a new owner, so the
  reconciling process then finishes it as that owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .db import make_sessionmaker
from .schema import ChannelState, Delivery, DeliveryState, Item, ItemState, SlotClaim, SlotOutcome
from .selection import Candidate, choose
from .timeutil import Clock, system_clock
from .views import DeliveryView, ItemView

__all__ = ["ChannelStatus", "InFlight", "Ledger", "SlotRecord"]


@dataclass(frozen=True)
class InFlight:
    """A delivery left `publishing`, with its item: what reconciliation needs."""

    delivery: DeliveryView
    item: ItemView


@dataclass(frozen=True)
class ChannelStatus:
    channel: str
    paused: bool
    pause_reason: str | None
    paused_at: datetime | None
    paused_by: str | None


@dataclass(frozen=True)
class SlotRecord:
    channel: str
    slot_at: datetime
    claimed_by: str
    claimed_at: datetime
    outcome: str
    item_id: int | None
    detail: str | None


class Ledger:
    """Slot claims, delivery outcomes and channel pauses, in the queue's database."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        self._sessions = make_sessionmaker(bind) if isinstance(bind, Engine) else bind
        self._clock = clock

    # -- slots -----------------------------------------------------------------------------

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

    def recent_slots(self, channel: str | None = None, limit: int = 20) -> list[SlotRecord]:
        query = select(SlotClaim).order_by(SlotClaim.slot_at.desc()).limit(limit)
        if channel is not None:
            query = query.where(SlotClaim.channel == channel)
        with self._sessions() as s:
            return [
                SlotRecord(
                    c.channel, c.slot_at, c.claimed_by, c.claimed_at, c.outcome, c.item_id, c.detail
                )
                for c in s.scalars(query)
            ]

    # -- choosing --------------------------------------------------------------------------

    def candidates(
        self, channel: str, now: datetime, *, limit: int = 20, include_embargoed: bool = False
    ) -> list[Candidate]:
        """Up to `limit` pending deliveries of `channel`, in selection order.

        The query walks the `ix_deliveries_selection` index in rank order and stops at `limit`,
        so its cost does not grow with the queue. With `include_embargoed`, items whose
        not_before is still ahead are included (for planning future slots)."""
        query = (
            select(Delivery, Item)
            .join(Item, Item.id == Delivery.item_id)
            .where(
                Delivery.channel == channel,
                Delivery.state == DeliveryState.PENDING.value,
                Item.state == ItemState.APPROVED.value,
                or_(Item.expires_at.is_(None), Item.expires_at > now),
            )
            .order_by(
                Delivery.sort_priority.desc(),
                Delivery.sort_created_at.asc(),
                Delivery.item_id.asc(),
            )
            .limit(limit)
        )
        if not include_embargoed:
            query = query.where(or_(Item.not_before.is_(None), Item.not_before <= now))
        with self._sessions() as s:
            return [
                Candidate(
                    delivery_id=d.id,
                    item_id=i.id,
                    channel=d.channel,
                    priority=i.priority,
                    created_at=i.created_at,
                    item_state=i.state,
                    delivery_state=d.state,
                    not_before=i.not_before,
                    expires_at=i.expires_at,
                    title=i.title,
                    url=i.url,
                    category=i.category,
                )
                for d, i in s.execute(query)
            ]

    def next_for_channel(self, channel: str, now: datetime) -> Candidate | None:
        """The candidate a slot of `channel` at `now` takes (see `selection.choose`)."""
        return choose(self.candidates(channel, now), now)

    # -- delivery transitions --------------------------------------------------------------

    def begin_publish(
        self, delivery_id: int, owner: str, lease_until: datetime
    ) -> tuple[DeliveryView, ItemView] | None:
        """pending -> publishing, committed. None if the delivery is no longer pending, or its
        item no longer approved (staff may cancel it between the choice and this step)."""
        approved = select(Item.id).where(
            Item.id == Delivery.item_id, Item.state == ItemState.APPROVED.value
        )
        with self._sessions.begin() as s:
            result = s.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.state == DeliveryState.PENDING.value,
                    approved.exists(),
                )
                .values(
                    state=DeliveryState.PUBLISHING.value,
                    owner=owner,
                    lease_expires_at=lease_until,
                    attempts=Delivery.attempts + 1,
                    updated_at=self._clock(),
                )
            )
            if getattr(result, "rowcount", 0) != 1:
                return None
            d = s.get_one(Delivery, delivery_id)
            item = s.get_one(Item, d.item_id, options=[selectinload(Item.deliveries)])
            s.refresh(d)
            return DeliveryView.of(d), ItemView.of(item)

    def count_attempt(self, delivery_id: int) -> None:
        """Record one more attempt on a delivery already publishing (a retry within a slot)."""
        with self._sessions.begin() as s:
            s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(attempts=Delivery.attempts + 1, updated_at=self._clock())
            )

    def mark_published(
        self,
        delivery_id: int,
        *,
        remote_id: str,
        remote_url: str | None,
        published_at: datetime,
        owner: str | None = None,
    ) -> bool:
        """publishing (or unknown, settled by a person) -> published.

        With `owner` (the publisher's and reconciler's way), only a delivery that owner holds:
        as `publishing` only, since an unknown delivery has no owner."""
        return self._finish(
            delivery_id,
            DeliveryState.PUBLISHED,
            (DeliveryState.PUBLISHING, DeliveryState.UNKNOWN),
            owner=owner,
            remote_id=remote_id,
            remote_url=remote_url,
            published_at=published_at,
            last_error=None,
        )

    def release(self, delivery_id: int, error: str | None, *, owner: str | None = None) -> bool:
        """publishing -> pending (nothing went out): a later slot tries it again.

        With `owner`, only while that owner holds the delivery (so for every finishing step)."""
        return self._finish(
            delivery_id,
            DeliveryState.PENDING,
            (DeliveryState.PUBLISHING,),
            owner=owner,
            last_error=error,
        )

    def mark_failed(self, delivery_id: int, error: str, *, owner: str | None = None) -> bool:
        """publishing -> failed: the network refused the post for good."""
        return self._finish(
            delivery_id,
            DeliveryState.FAILED,
            (DeliveryState.PUBLISHING,),
            owner=owner,
            last_error=error,
        )

    def mark_unknown(self, delivery_id: int, error: str, *, owner: str | None = None) -> bool:
        """publishing -> unknown: it may be out or not, and the adapter cannot tell."""
        return self._finish(
            delivery_id,
            DeliveryState.UNKNOWN,
            (DeliveryState.PUBLISHING,),
            owner=owner,
            last_error=error,
        )

    def take_over(
        self, delivery_id: int, owner: str, *, now: datetime, lease_until: datetime
    ) -> bool:
        """Make `owner` the holder of a `publishing` delivery, with a new lease: only if it is
        already `owner`'s, has no owner, or its lease expired before `now` (what `in_flight`
        lists). Whether it did; False means another process holds it (or it was finished).

        Reconciliation takes a delivery over before it looks at the network, then finishes it
        as `owner`: if the first owner comes back late, its own finishing step finds the owner
        changed and does nothing, and two reconcilers cannot both settle one delivery."""
        with self._sessions.begin() as s:
            result = s.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.state == DeliveryState.PUBLISHING.value,
                    or_(
                        Delivery.owner == owner,
                        Delivery.owner.is_(None),
                        Delivery.lease_expires_at < now,
                    ),
                )
                .values(owner=owner, lease_expires_at=lease_until, updated_at=self._clock())
            )
            return getattr(result, "rowcount", 0) == 1

    def retry(self, delivery_id: int) -> bool:
        """failed/unknown -> pending, at a person's request."""
        return self._finish(
            delivery_id,
            DeliveryState.PENDING,
            (DeliveryState.FAILED, DeliveryState.UNKNOWN),
            owner=None,
            last_error=None,
        )

    def _finish(
        self,
        delivery_id: int,
        state: DeliveryState,
        from_states: tuple[DeliveryState, ...],
        *,
        owner: str | None,
        **values: object,
    ) -> bool:
        """Move the delivery to `state` if it is in one of `from_states` (and held by `owner`,
        when given); whether it moved.

        Conditional like `begin_publish`: a late caller (a process whose lease expired while
        another reconciled its delivery) must not move a published delivery back to pending,
        where it would be posted a second time, nor settle a delivery another process has
        taken over and is settling (the owner check)."""
        conditions = [
            Delivery.id == delivery_id,
            Delivery.state.in_([f.value for f in from_states]),
        ]
        if owner is not None:
            conditions.append(Delivery.owner == owner)
        with self._sessions.begin() as s:
            result = s.execute(
                update(Delivery)
                .where(*conditions)
                .values(
                    state=state.value,
                    owner=None,
                    lease_expires_at=None,
                    updated_at=self._clock(),
                    **values,
                )
            )
            return getattr(result, "rowcount", 0) == 1

    def in_flight(self, *, owner: str, now: datetime) -> list[InFlight]:
        """Deliveries left `publishing` that `owner` may reconcile: its own (a previous run of
        the same identity crashed) or anyone's whose lease has expired."""
        query = (
            select(Delivery)
            .where(
                Delivery.state == DeliveryState.PUBLISHING.value,
                or_(
                    Delivery.owner == owner,
                    Delivery.owner.is_(None),
                    Delivery.lease_expires_at < now,
                ),
            )
            .order_by(Delivery.id)
        )
        with self._sessions() as s:
            out = []
            for d in s.scalars(query):
                item = s.get_one(Item, d.item_id, options=[selectinload(Item.deliveries)])
                out.append(InFlight(DeliveryView.of(d), ItemView.of(item)))
            return out

    # -- per-channel figures ---------------------------------------------------------------

    def published_since(self, channel: str, since: datetime) -> int:
        with self._sessions() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(
                        Delivery.channel == channel,
                        Delivery.state == DeliveryState.PUBLISHED.value,
                        Delivery.published_at >= since,
                    )
                )
                or 0
            )

    def last_published_at(self, channel: str) -> datetime | None:
        with self._sessions() as s:
            return s.scalar(
                select(func.max(Delivery.published_at)).where(
                    Delivery.channel == channel,
                    Delivery.state == DeliveryState.PUBLISHED.value,
                )
            )

    def pending_count(self, channel: str) -> int:
        with self._sessions() as s:
            return (
                s.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .join(Item)
                    .where(
                        Delivery.channel == channel,
                        Delivery.state == DeliveryState.PENDING.value,
                        Item.state == ItemState.APPROVED.value,
                    )
                )
                or 0
            )

    # -- pauses ----------------------------------------------------------------------------

    def pause(self, channel: str, reason: str, *, by: str = "") -> bool:
        """Pause `channel`; False if it was paused already (the reason is then updated)."""
        try:
            return self._pause(channel, reason, by)
        except IntegrityError:
            # Another process created the channel's row at the same moment (the daemon on an
            # auth error, staff from the CLI): it exists now, so a second try updates it.
            return self._pause(channel, reason, by)

    def _pause(self, channel: str, reason: str, by: str) -> bool:
        with self._sessions.begin() as s:
            state = s.get(ChannelState, channel) or ChannelState(channel=channel, paused=False)
            was = state.paused
            state.paused, state.pause_reason = True, reason
            state.paused_at, state.paused_by = self._clock(), by
            s.add(state)
            return not was

    def resume(self, channel: str, *, by: str = "") -> bool:
        """Resume `channel`; False if it was not paused."""
        with self._sessions.begin() as s:
            state = s.get(ChannelState, channel)
            if state is None or not state.paused:
                return False
            state.paused, state.pause_reason = False, None
            state.paused_at, state.paused_by = None, None
            return True

    def status(self, channel: str) -> ChannelStatus:
        with self._sessions() as s:
            st = s.get(ChannelState, channel)
            if st is None:
                return ChannelStatus(channel, False, None, None, None)
            return ChannelStatus(channel, st.paused, st.pause_reason, st.paused_at, st.paused_by)
