"""The publishing side of the queue: slot claims, delivery transitions, channel pauses.

These are the database steps of the exactly-once protocol (the protocol itself, which calls the
network between them, lives in `xensocial.publishing`). Each step is one short transaction, and
each transition is conditional on the state it expects, so two processes racing for the same
slot or delivery cannot both win:

- `claim_slot` inserts into the slot ledger under a unique (channel, slot time) constraint
  (`slot_claims`);
- `claim_next` chooses a channel's next delivery and moves it from pending to publishing in one
  transaction, recording the owner and a lease (narrowed by `where` to the one delivery a
  slot's editorial choice named, it claims that one or nothing). On PostgreSQL the choice is
  `SELECT ... FOR UPDATE SKIP LOCKED`, so replicas never wait on one another nor take the same
  row; on SQLite `BEGIN IMMEDIATE` (see `db`) already serialises the writers, and SQLAlchemy
  renders no FOR UPDATE there;
- `mark_published`, `release`, `mark_failed`, `mark_unknown` finish it, again only from the
  state they expect (each returns whether it did), and, given `owner`, only while that owner
  still holds it: a process whose lease expired cannot finish a delivery another has taken over;
  `mark_published` (and `resolve`) write what went out (`views.Posted`) in the same statement
  that sets `published`, so a published delivery never lacks its record (these live in
  `settling`);
- `count_attempt` renews the lease before each retry, only while the owner still holds it;
- `note_absent` counts a lookup that did not find a post in doubt (`xensocial.in_doubt`);
- `take_over` moves an abandoned delivery (its lease expired) to a new owner, so the
  reconciling process then finishes it as that owner (a row another process is taking over at
  that instant is skipped, not waited for).

`Ledger` is one object for its callers, made of parts kept apart by what they touch: the slot
ledger (`slot_claims`), the end states of a delivery (`settling`), pauses (`pauses`) and
blackouts (`blackouts`); this module holds the claiming side (choose, lease, renew, take over)
and the per-channel figures. Which deliveries a slot may take is written once, in `eligible`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, update
from sqlalchemy.orm import Session, selectinload

from .blackouts import ChannelBlackouts
from .db import Store
from .eligible import RANK, candidates_query, eligible
from .pauses import ChannelPauses, ChannelStatus
from .schema import Delivery, DeliveryState, Item, ItemState
from .settling import DeliveryOutcomes, posted_from_item, posted_values
from .slot_claims import SlotClaims
from .views import DeliveryView, ItemView

__all__ = [
    "ChannelStatus",
    "InDoubt",
    "InFlight",
    "Ledger",
    "candidates_query",
    "posted_from_item",
    "posted_values",
]

_CLAIM_TRIES = 3  # rows `claim_next` tries when an item changes between the choice and the update


def _abandoned(now: datetime) -> list[ColumnElement[bool]]:
    """A `publishing` delivery nobody holds at `now`: no owner, or its lease has expired."""
    return [Delivery.owner.is_(None), Delivery.lease_expires_at < now]


@dataclass(frozen=True)
class InFlight:
    """A delivery left `publishing`, with its item: what reconciliation needs."""

    delivery: DeliveryView
    item: ItemView


@dataclass(frozen=True)
class InDoubt:
    """What a delivery in doubt holds: when its latest attempt began, and how many lookups
    since read the network without finding its post (`Ledger.note_absent`)."""

    attempted_at: datetime
    absent_reads: int


class Ledger(SlotClaims, DeliveryOutcomes, ChannelPauses, ChannelBlackouts, Store):
    """Slot claims, delivery outcomes, channel pauses and blackouts, in the queue's database.

    Every end state of a delivery (published, failed, unknown, retried, resolved) is written
    to the audit log in the transaction that sets it (see `audit`)."""

    # -- delivery transitions --------------------------------------------------------------

    def claim_next(
        self,
        channel: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        *,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> tuple[DeliveryView, ItemView] | None:
        """The best eligible delivery of `channel` at `now` (in rank order), moved pending ->
        publishing for `owner` in the same transaction; None when nothing is eligible (or every
        eligible row is being claimed by another process right now).

        The row is chosen with `FOR UPDATE SKIP LOCKED` (PostgreSQL): a delivery another
        replica is claiming at this instant is passed over, not waited for, and can never be
        taken twice. The update stays conditional (still pending, item still approved).
        `where` narrows the field: the publisher passes the delivery editorial selection chose
        (`Delivery.id == ...`), so this claims that one or nothing."""
        tried: list[int] = []
        with self._sessions.begin() as s:
            for _ in range(_CLAIM_TRIES):
                query = (
                    select(Delivery.id)
                    .join(Item, Item.id == Delivery.item_id)
                    .where(*eligible(channel, now), *where, Delivery.id.not_in(tried))
                    .order_by(*RANK)
                    .limit(1)
                    .with_for_update(skip_locked=True, of=Delivery)
                )
                delivery_id = s.scalar(query)
                if delivery_id is None:
                    return None
                began = self._begin(s, delivery_id, owner, lease_until)
                if began is not None:
                    return began
                tried.append(delivery_id)  # its item changed under us: the next one
        return None

    def _begin(
        self, s: Session, delivery_id: int, owner: str, lease_until: datetime
    ) -> tuple[DeliveryView, ItemView] | None:
        approved = select(Item.id).where(
            Item.id == Delivery.item_id, Item.state == ItemState.APPROVED.value
        )
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
                attempted_at=self._clock(),
                absent_reads=0,
            )
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        d = s.get_one(Delivery, delivery_id)
        item = s.get_one(Item, d.item_id, options=[selectinload(Item.deliveries)])
        s.refresh(d)
        return DeliveryView.of(d), ItemView.of(item)

    def count_attempt(
        self, delivery_id: int, *, owner: str | None = None, lease_until: datetime | None = None
    ) -> bool:
        """Record one more attempt on a delivery already publishing (a retry within a slot).

        With `owner`, only while that owner still holds it, and its lease is renewed to
        `lease_until`: a retry after a long wait must not start a network call on a delivery
        another process has taken over since. Whether it did."""
        conditions = [Delivery.id == delivery_id]
        now = self._clock()
        values: dict[str, Any] = {
            "attempts": Delivery.attempts + 1,
            "updated_at": now,
            "attempted_at": now,  # a post this attempt makes is newer: lookups start over
            "absent_reads": 0,
        }
        if owner is not None:
            conditions += [
                Delivery.owner == owner,
                Delivery.state == DeliveryState.PUBLISHING.value,
            ]
        if lease_until is not None:
            values["lease_expires_at"] = lease_until
        with self._sessions.begin() as s:
            result = s.execute(update(Delivery).where(*conditions).values(**values))
            return getattr(result, "rowcount", 0) == 1

    def note_absent(self, delivery_id: int, *, owner: str, at: datetime) -> InDoubt | None:
        """Count one lookup, made at `at` by `owner`, that read the network and did not find
        the delivery's post; what the delivery now holds (None: `owner` no longer holds it).

        A delivery from before migration 0009 has no attempt time: `at` stands in, which only
        makes the wait longer."""
        with self._sessions.begin() as s:
            row = s.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.state == DeliveryState.PUBLISHING.value,
                    Delivery.owner == owner,
                )
                .values(
                    absent_reads=Delivery.absent_reads + 1,
                    attempted_at=func.coalesce(
                        Delivery.attempted_at, literal(at, Delivery.attempted_at.type)
                    ),
                )
                .returning(Delivery.attempted_at, Delivery.absent_reads)
            ).one_or_none()
        return None if row is None else InDoubt(attempted_at=row[0] or at, absent_reads=row[1])

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
            # Lock the row first, skipping it if another process holds it this instant (it is
            # taking the delivery over itself, or finishing it): no waiting behind a replica.
            free = s.scalar(
                select(Delivery.id)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.state == DeliveryState.PUBLISHING.value,
                    or_(Delivery.owner == owner, *_abandoned(now)),
                )
                .with_for_update(skip_locked=True)
            )
            if free is None:
                return False
            s.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(owner=owner, lease_expires_at=lease_until, updated_at=self._clock())
            )
            return True

    def in_flight(
        self,
        *,
        owner: str,
        now: datetime,
        channel: str | None = None,
        own_live: bool = True,
        also: Collection[int] = (),
    ) -> list[InFlight]:
        """Deliveries left `publishing` that `owner` may reconcile (of `channel`, if given):
        anyone's whose lease has expired (or that has no owner) and, with `own_live`, every one
        `owner` holds (a previous run of the same identity crashed); without it, only those of
        `owner`'s whose ids are in `also` (what this very process left `publishing`)."""
        claimable = _abandoned(now)
        if own_live:
            claimable.append(Delivery.owner == owner)
        elif also:
            claimable.append(and_(Delivery.owner == owner, Delivery.id.in_(list(also))))
        query = (
            select(Delivery)
            .where(Delivery.state == DeliveryState.PUBLISHING.value, or_(*claimable))
            .order_by(Delivery.id)
        )
        if channel is not None:
            query = query.where(Delivery.channel == channel)
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

