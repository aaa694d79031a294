"""A delivery's thread: its follow-up texts, and each part's own step of the protocol.

An item with replies (`item_replies`) is posted on each channel as a thread: the post (part 0),
then each reply to the part before. Each part is a step of its own, like the post itself: it is
committed `publishing` (with its attempt time) before the network call and `published` with its
remote id after it (`delivery_parts`). The delivery stays `publishing`, under its owner's lease,
until the last part is out, so a crash between parts leaves it to reconciliation, which reads
here what is out already and resumes at the next part: an earlier part is never sent again.

Every step is conditional on the owner still holding the delivery (as `settling` is), and
beginning a part renews the lease and starts the in-doubt counters afresh (`attempted_at`,
`absent_reads`), so `xensocial.in_doubt` judges a lost answer on a reply exactly as one on a
post. `ThreadParts` is a part of `Ledger` (which mixes it in); its reads, `ThreadReads`, of
`ContentQueue` too (`fastread` answers `item_thread` the same way without SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from .audit import Action, record, shorten
from .errors import AlreadyOut, InvalidItem, InvalidTransition, ItemNotFound
from .newitems import check_replies
from .schema import Delivery, DeliveryPart, DeliveryState, Item, ItemReply, ItemState
from .timeutil import Clock
from .views import PartView, Thread
from .vocabulary import OUT_STATES

__all__ = [
    "PART_FAILED",
    "PART_PUBLISHED",
    "PART_PUBLISHING",
    "ThreadEdits",
    "ThreadParts",
    "ThreadReads",
    "part_view",
]

PART_PUBLISHING = "publishing"  # begun: its answer is not recorded (a crash: in doubt)
PART_PUBLISHED = "published"
PART_FAILED = "failed"  # the network refused it for good: the thread ends there


def part_view(p: DeliveryPart) -> PartView:
    return PartView(
        p.delivery_id,
        p.position,
        p.state,
        p.remote_id,
        p.remote_url,
        p.remote_ref,
        p.attempted_at,
        p.published_at,
        p.detail,
    )


class ThreadReads:
    """What is known of threads: replies and parts (mixed into `Ledger` and `ContentQueue`)."""

    _sessions: sessionmaker[Session]

    def thread(self, delivery_id: int) -> Thread:
        """The thread of `delivery_id` (empty when its item has no replies)."""
        with self._sessions() as s:
            rows = s.execute(
                select(ItemReply.text, Item.url, Item.link_in_reply)
                .join(Delivery, Delivery.item_id == ItemReply.item_id)
                .join(Item, Item.id == ItemReply.item_id)
                .where(Delivery.id == delivery_id)
                .order_by(ItemReply.position)
            ).all()
            if not rows:
                return Thread()
            replies = [r[0] for r in rows]
            link = rows[0][1] if rows[0][2] else ""
            parts = s.scalars(
                select(DeliveryPart)
                .where(DeliveryPart.delivery_id == delivery_id)
                .order_by(DeliveryPart.position)
            ).all()
            return Thread(tuple(replies), tuple(part_view(p) for p in parts), link)

    def item_thread(self, item_id: int) -> Thread:
        """An item's replies and the parts of its deliveries' threads (`queue show`)."""
        with self._sessions() as s:
            replies = s.scalars(
                select(ItemReply.text)
                .where(ItemReply.item_id == item_id)
                .order_by(ItemReply.position)
            ).all()
            parts = s.scalars(
                select(DeliveryPart)
                .join(Delivery, Delivery.id == DeliveryPart.delivery_id)
                .where(Delivery.item_id == item_id)
                .order_by(DeliveryPart.delivery_id, DeliveryPart.position)
            ).all()
            return Thread(tuple(replies), tuple(part_view(p) for p in parts))

    def replies_of(self, item_ids: Collection[int]) -> dict[int, tuple[str, ...]]:
        """The replies of each of `item_ids` that has some (for `preview`, `schedule`)."""
        out: dict[int, list[str]] = {}
        if not item_ids:
            return {}
        with self._sessions() as s:
            rows = s.execute(
                select(ItemReply.item_id, ItemReply.text)
                .where(ItemReply.item_id.in_(list(item_ids)))
                .order_by(ItemReply.item_id, ItemReply.position)
            )
            for item_id, text in rows:
                out.setdefault(item_id, []).append(text)
        return {k: tuple(v) for k, v in out.items()}


class ThreadEdits:
    """Changing an item's replies before it is out anywhere (mixed into `ContentQueue`)."""

    _sessions: sessionmaker[Session]
    _clock: Clock

    def set_replies(self, item_id: int, replies: Sequence[str], *, by: str = "") -> bool:
        """Replace the item's replies (none: it is a single post again); whether anything
        changed (the same replies change nothing: no time stamp, no audit entry).

        Refused (AlreadyOut) once the item is out, or may be, on any channel: a thread's parts
        answer the post already out, and what was out stays what it was; InvalidItem for
        replies that cannot be stored (`newitems.check_replies`), InvalidTransition for a
        cancelled item."""
        cleaned = check_replies(replies)
        with self._sessions.begin() as s:
            item = s.get(Item, item_id)
            if item is None:
                raise ItemNotFound(item_id)
            if item.state == ItemState.CANCELLED:
                raise InvalidTransition(item_id, item.state, "edited")
            if item.link_in_reply and not cleaned:
                raise InvalidItem(
                    "replies", "the item's link goes in its first reply: it needs one"
                )
            out = [(d.channel, d.state) for d in item.deliveries if d.state in OUT_STATES]
            if out:
                raise AlreadyOut.thread(item_id, out)
            rows = s.scalars(
                select(ItemReply).where(ItemReply.item_id == item_id).order_by(ItemReply.position)
            ).all()
            if tuple(r.text for r in rows) == cleaned:
                return False
            s.execute(delete(ItemReply).where(ItemReply.item_id == item_id))
            s.add_all(
                ItemReply(item_id=item_id, position=n, text=t) for n, t in enumerate(cleaned, 1)
            )
            item.updated_at = self._clock()
            detail = f"replies: {len(rows)} -> {len(cleaned)}" + "".join(
                f"; {n}. {shorten(t, 80)!r}" for n, t in enumerate(cleaned, 1)
            )
            record(s, Action.EDIT, actor=by, at=item.updated_at, item_id=item_id, detail=detail)
            return True


class ThreadParts(ThreadReads):
    """The thread steps of a delivery, each conditional on its owner (mixed into `Ledger`)."""

    _clock: Clock

    def begin_part(
        self, delivery_id: int, position: int, *, owner: str, lease_until: datetime
    ) -> bool:
        """Record part `position` as begun (`publishing`), committed before its network call,
        while `owner` still holds the delivery; the lease is renewed and the in-doubt counters
        start afresh (a post this attempt makes is newer). Whether it did."""
        now = self._clock()
        with self._sessions.begin() as s:
            if not self._hold(s, delivery_id, owner, attempt=now, lease_until=lease_until):
                return False
            self._put(s, delivery_id, position, PART_PUBLISHING, attempted_at=now)
            return True

    def finish_part(
        self,
        delivery_id: int,
        position: int,
        *,
        owner: str,
        remote_id: str | None = None,
        remote_url: str | None = None,
        remote_ref: str | None = None,
        published_at: datetime | None = None,
        failed: str | None = None,
    ) -> bool:
        """Record part `position` out (where, and what a reply must cite), or refused for good
        (`failed`: why), while `owner` still holds the delivery. Whether it did."""
        with self._sessions.begin() as s:
            if not self._hold(s, delivery_id, owner):
                return False
            part = self._put(s, delivery_id, position, PART_FAILED if failed else PART_PUBLISHED)
            part.remote_id, part.remote_url, part.remote_ref = remote_id, remote_url, remote_ref
            part.published_at, part.detail = published_at, failed
            return True

    def drop_part(self, delivery_id: int, position: int, *, owner: str) -> bool:
        """Forget a begun part that proved not sent (the request never reached the network, or
        a lookup proved it absent): it is sent afresh. Whether it did."""
        with self._sessions.begin() as s:
            if not self._hold(s, delivery_id, owner):
                return False
            s.execute(
                delete(DeliveryPart).where(
                    DeliveryPart.delivery_id == delivery_id,
                    DeliveryPart.position == position,
                    DeliveryPart.state == PART_PUBLISHING,
                )
            )
            return True

    def _hold(
        self,
        s: Session,
        delivery_id: int,
        owner: str,
        *,
        attempt: datetime | None = None,
        lease_until: datetime | None = None,
    ) -> bool:
        """Whether `owner` holds the delivery (`publishing`), locking its row; with `attempt`,
        counted as an attempt begun then, its lease renewed to `lease_until`."""
        values: dict[str, object] = {"updated_at": self._clock()}
        if attempt is not None:
            values.update(attempts=Delivery.attempts + 1, attempted_at=attempt, absent_reads=0)
        if lease_until is not None:
            values["lease_expires_at"] = lease_until
        result = s.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.owner == owner,
                Delivery.state == DeliveryState.PUBLISHING.value,
            )
            .values(**values)
        )
        return getattr(result, "rowcount", 0) == 1

    @staticmethod
    def _put(
        s: Session,
        delivery_id: int,
        position: int,
        state: str,
        *,
        attempted_at: datetime | None = None,
    ) -> DeliveryPart:
        """The part's row in `state` (made if new), for the caller to fill."""
        part = s.get(DeliveryPart, (delivery_id, position))
        if part is None:
            part = DeliveryPart(delivery_id=delivery_id, position=position, state=state)
            s.add(part)
        part.state = state
        if attempted_at is not None:
            part.attempted_at = attempted_at
        return part
