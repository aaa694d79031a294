"""The publishing side of the queue: slot claims, delivery transitions, channel pauses.

These are the database steps of the exactly-once protocol (the protocol itself, which calls the
network between them, lives in `xensocial.publishing`). Each step is one short transaction, and
each transition is conditional on the state it expects, so two processes racing for the same
slot or delivery cannot both win:

- `claim_slot` inserts into the slot ledger under a unique (channel, slot time) constraint;
- `claim_next` chooses a channel's next delivery and moves it from pending to publishing in one
  transaction, recording the owner and a lease (`begin_publish` does the same for a given
  delivery). On PostgreSQL the choice is `SELECT ... FOR UPDATE SKIP LOCKED`, so replicas never
  wait on one another nor take the same row; on SQLite `BEGIN IMMEDIATE` (see `db`) already
  serialises the writers, and SQLAlchemy renders no FOR UPDATE there;
- `mark_published`, `release`, `mark_failed`, `mark_unknown` finish it, again only from the
  state they expect (each returns whether it did), and, given `owner`, only while that owner
  still holds it: a process whose lease expired cannot finish a delivery another has taken over;
  `mark_published` (and `resolve`) write what went out (`views.Posted`) in the same statement
  that sets `published`, so a published delivery never lacks its record;
- `count_attempt` renews the lease before each retry, only while the owner still holds it;
- `note_absent` counts a lookup that did not find a post in doubt (`xensocial.in_doubt`);
- `take_over` moves an abandoned delivery (its lease expired) to a new owner, so the
  reconciling process then finishes it as that owner (a row another process is taking over at
  that instant is skipped, not waited for).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from .audit import Action, record, shorten
from .blackouts import ChannelBlackouts
from .db import make_sessionmaker
from .pauses import ChannelPauses, ChannelStatus
from .schema import Delivery, DeliveryState, Item, ItemState, SlotClaim, SlotOutcome
from .selection import Candidate
from .timeutil import Clock, system_clock
from .urls import canonical_url
from .views import DeliveryView, ItemView, Posted

__all__ = [
    "ChannelStatus",
    "InDoubt",
    "InFlight",
    "Ledger",
    "SlotRecord",
    "candidate_of",
    "candidates_query",
    "posted_from_item",
    "posted_values",
]

_CLAIM_TRIES = 3  # rows `claim_next` tries when an item changes between the choice and the update
_RANK = (Delivery.sort_priority.desc(), Delivery.sort_created_at.asc(), Delivery.item_id.asc())
"""Selection order, as `ix_deliveries_selection` holds it (see `selection.rank_key`)."""


def _abandoned(now: datetime) -> list[ColumnElement[bool]]:
    """A `publishing` delivery nobody holds at `now`: no owner, or its lease has expired."""
    return [Delivery.owner.is_(None), Delivery.lease_expires_at < now]


def _eligible(
    channel: str | ColumnElement[str],
    now: datetime | ColumnElement[datetime],
    *,
    include_embargoed: bool = False,
) -> list[ColumnElement[bool]]:
    """The conditions of a pending delivery of `channel` a slot at `now` may take (an item
    pinned to a later time is not taken before it: see `selection.ineligible_reason`).
    `channel` and `now` may be bound parameters, for a statement built once and run often."""
    conditions = [
        Delivery.channel == channel,
        Delivery.state == DeliveryState.PENDING.value,
        Item.state == ItemState.APPROVED.value,
        or_(Item.expires_at.is_(None), Item.expires_at > now),
    ]
    if not include_embargoed:
        conditions.append(or_(Item.not_before.is_(None), Item.not_before <= now))
        conditions.append(or_(Item.publish_at.is_(None), Item.publish_at <= now))
    return conditions


def candidates_query(
    channel: str | ColumnElement[str],
    now: datetime | ColumnElement[datetime],
    *,
    limit: int | None,
    include_embargoed: bool = False,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[ColumnElement[Any]] = (),
) -> Select[Delivery, Item]:
    """The query of `Ledger.candidates` (for callers that run it in a session of their own);
    `limit` None: every row."""
    return (
        select(Delivery, Item)
        .join(Item, Item.id == Delivery.item_id)
        .where(*_eligible(channel, now, include_embargoed=include_embargoed), *where)
        .order_by(*order_by, *_RANK)
        .limit(limit)
    )


def candidate_of(d: Delivery, i: Item) -> Candidate:
    """The selection's view of delivery `d` of item `i`."""
    return Candidate(
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
        publish_at=i.publish_at,
        reminder_of=i.reminder_of,
    )


def posted_values(posted: Posted) -> dict[str, Any]:
    """The `posted_*` columns of a delivery that put `posted` on the network."""
    return {
        "posted_title": posted.title,
        "posted_text": posted.text,
        "posted_url": posted.url,
        "posted_canonical_url": canonical_url(posted.url),
        "posted_tags": list(posted.tags),
        "posted_media": list(posted.media) or None,
    }


def posted_from_item() -> dict[str, Any]:
    """The `posted_*` columns of a delivery marked published with no record of what was sent
    (a caller that had none): its item's fields as they are now, the best record there is.
    The text is the words the post was made from (the channel's own text, else the item's
    text), not a rendering. Migration 0008 fills older posts by this rule."""

    def of_item(column: Any) -> Any:
        return select(column).where(Item.id == Delivery.item_id).scalar_subquery()

    return {
        "posted_title": of_item(Item.title),
        "posted_text": func.coalesce(Delivery.text_override, of_item(Item.text)),
        "posted_url": of_item(Item.url),
        "posted_canonical_url": of_item(Item.canonical_url),
        "posted_tags": of_item(Item.tags),
        "posted_media": None,
    }


def _said(text: str, url: str) -> str:
    """What a post said, for its audit entry: its text (quoted, shortened), with its link
    when the text does not carry it."""
    quoted = repr(shorten(text, 200)) if text else ""
    if url in text:
        return quoted
    return f"{url} {quoted}".strip()


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


@dataclass(frozen=True)
class SlotRecord:
    channel: str
    slot_at: datetime
    claimed_by: str
    claimed_at: datetime
    outcome: str
    item_id: int | None
    detail: str | None


class Ledger(ChannelPauses, ChannelBlackouts):
    """Slot claims, delivery outcomes, channel pauses and blackouts, in the queue's database.

    Every end state of a delivery (published, failed, unknown, retried, resolved) is written
    to the audit log in the transaction that sets it (see `audit`)."""

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
        self,
        channel: str,
        now: datetime,
        *,
        limit: int = 20,
        include_embargoed: bool = False,
        where: Sequence[ColumnElement[bool]] = (),
        order_by: Sequence[ColumnElement[Any]] = (),
    ) -> list[Candidate]:
        """Up to `limit` pending deliveries of `channel`, in selection order.

        The query walks the `ix_deliveries_selection` index in rank order and stops at `limit`,
        so its cost does not grow with the queue. With `include_embargoed`, items whose
        not_before (or pinned time) is still ahead are included (for planning future slots).
        `where` narrows the field (the editorial store asks for one category, which
        `ix_deliveries_category` serves the same way); `order_by` goes before the rank."""
        query = candidates_query(
            channel,
            now,
            limit=limit,
            include_embargoed=include_embargoed,
            where=where,
            order_by=order_by,
        )
        with self._sessions() as s:
            return [candidate_of(d, i) for d, i in s.execute(query)]

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
                    .where(*_eligible(channel, now), *where, Delivery.id.not_in(tried))
                    .order_by(*_RANK)
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

    def begin_publish(
        self, delivery_id: int, owner: str, lease_until: datetime
    ) -> tuple[DeliveryView, ItemView] | None:
        """pending -> publishing, committed. None if the delivery is no longer pending, or its
        item no longer approved (staff may cancel it between the choice and this step)."""
        with self._sessions.begin() as s:
            return self._begin(s, delivery_id, owner, lease_until)

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

    def mark_published(
        self,
        delivery_id: int,
        *,
        remote_id: str,
        remote_url: str | None,
        published_at: datetime,
        owner: str | None = None,
        posted: Posted | None = None,
    ) -> bool:
        """publishing (or unknown, settled by a person) -> published, with `posted` (what was
        sent) recorded in the same statement; without it, the item's current fields stand in
        (`posted_from_item`).

        With `owner` (the publisher's and reconciler's way), only a delivery that owner holds:
        as `publishing` only, since an unknown delivery has no owner. A person settling an
        unknown delivery uses `resolve` (the audit log then says who)."""
        return self._finish(
            delivery_id,
            DeliveryState.PUBLISHED,
            (DeliveryState.PUBLISHING, DeliveryState.UNKNOWN),
            owner=owner,
            audit=(Action.PUBLISH, owner, f"published: {remote_url or remote_id}"),
            remote_id=remote_id,
            remote_url=remote_url,
            published_at=published_at,
            last_error=None,
            **(posted_from_item() if posted is None else posted_values(posted)),
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
            audit=(Action.FAIL, owner, f"failed: {error}"),
            last_error=error,
        )

    def mark_unknown(self, delivery_id: int, error: str, *, owner: str | None = None) -> bool:
        """publishing -> unknown: it may be out or not, and the adapter cannot tell."""
        return self._finish(
            delivery_id,
            DeliveryState.UNKNOWN,
            (DeliveryState.PUBLISHING,),
            owner=owner,
            audit=(Action.UNKNOWN, owner, f"unknown: {error}"),
            last_error=error,
        )

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

    def retry(self, delivery_id: int, *, by: str = "") -> bool:
        """failed/unknown -> pending, at a person's request."""
        return self._finish(
            delivery_id,
            DeliveryState.PENDING,
            (DeliveryState.FAILED, DeliveryState.UNKNOWN),
            owner=None,
            audit=(Action.RETRY, by, "back to pending: posted again at a coming slot"),
            last_error=None,
        )

    def resolve(
        self,
        delivery_id: int,
        *,
        remote_url: str | None,
        at: datetime,
        by: str = "",
        posted: Posted | None = None,
    ) -> bool:
        """unknown -> published, at a person's request: they found the post on the network.
        `posted` is what it said, as `mark_published` records it."""
        return self._finish(
            delivery_id,
            DeliveryState.PUBLISHED,
            (DeliveryState.UNKNOWN,),
            owner=None,
            audit=(Action.RESOLVE, by, f"recorded as published: {remote_url or 'no URL given'}"),
            remote_id=remote_url or f"settled-by:{by or 'unknown'}",
            remote_url=remote_url,
            published_at=at,
            last_error=None,
            **(posted_from_item() if posted is None else posted_values(posted)),
        )

    def _finish(
        self,
        delivery_id: int,
        state: DeliveryState,
        from_states: tuple[DeliveryState, ...],
        *,
        owner: str | None,
        audit: tuple[Action, str | None, str] | None = None,
        **values: object,
    ) -> bool:
        """Move the delivery to `state` if it is in one of `from_states` (and held by `owner`,
        when given); whether it moved. `audit` (action, actor, detail) is recorded in the same
        transaction when it moved.

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
            moved: bool = getattr(result, "rowcount", 0) == 1
            if moved and audit is not None:
                action, actor, detail = audit
                item_id, channel, text, url = s.execute(
                    select(
                        Delivery.item_id,
                        Delivery.channel,
                        Delivery.posted_text,
                        Delivery.posted_url,
                    ).where(Delivery.id == delivery_id)
                ).one()
                if url is not None:  # published: the entry says what went out
                    detail += f"; posted: {_said(text or '', url)}"
                record(
                    s,
                    action,
                    actor=actor,
                    at=self._clock(),
                    item_id=item_id,
                    channel=channel,
                    detail=detail,
                )
            return moved

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
