"""What a slot takes, asked the way the program asks: for tests of the queue and the ledger.

The daemon chooses a slot's item with `EditorialStore.choose` (through `SlotChooser`) and the
`schedule` forecast with `selection.pick` over `Forecast`'s memory; these helpers call those,
with no editorial rules (no mix, no evergreen recycling, no reminders), so a test of the queue
exercises the path a slot takes, not a shortcut only tests would use. A test that needs a
delivery `publishing` claims it with `claim`, as the publisher claims the one its slot chose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from content_queue import DeliveryView, ItemView, Ledger
from content_queue.editorial_store import EditorialStore
from content_queue.eligible import candidates_query
from content_queue.forecast import Forecast, Snapshot
from content_queue.schema import Delivery
from content_queue.selection import Candidate, Rules, pick
from content_queue.slot_query import candidate_columns

__all__ = [
    "candidates",
    "claim",
    "eligible_at",
    "forecast",
    "next_candidate",
    "next_in_memory",
    "take_next",
]

NO_RULES = Rules()


def candidates(
    engine: Engine, channel: str, now: datetime, *, limit: int = 20, include_embargoed: bool = False
) -> list[Candidate]:
    """Up to `limit` pending deliveries of `channel` a slot at `now` may take, in rank order,
    read as the editorial store reads a slot's candidates (`eligible.candidates_query`, in the
    columns of `slot_query.candidate_columns`); with `include_embargoed`, those whose
    not_before or pinned time is still ahead too."""
    query = candidates_query(channel, now, limit=limit, include_embargoed=include_embargoed)
    with Session(engine) as s:
        rows = s.execute(query.with_only_columns(*candidate_columns()))
        return [Candidate(*row) for row in rows]


def next_candidate(ledger: Ledger, channel: str, now: datetime) -> Candidate | None:
    """The pending delivery a slot of `channel` at `now` takes, from the database."""
    choice = EditorialStore.of(ledger).choose(channel, now, NO_RULES)
    return None if choice is None else choice.candidate


def claim(
    ledger: Ledger,
    delivery_id: int,
    owner: str,
    lease_until: datetime,
    *,
    channel: str,
    now: datetime,
) -> tuple[DeliveryView, ItemView] | None:
    """Delivery `delivery_id` of `channel` moved pending -> publishing for `owner`, as the
    publisher claims the delivery its slot at `now` chose (`SlotChooser`: `claim_next`
    narrowed to that delivery); None when it is not eligible at `now` or no longer pending."""
    return ledger.claim_next(channel, owner, now, lease_until, where=[Delivery.id == delivery_id])


def take_next(
    ledger: Ledger, channel: str, owner: str, *, now: datetime, lease_until: datetime
) -> tuple[DeliveryView, ItemView] | None:
    """What a slot of `channel` at `now` takes, claimed for `owner`: the choice and the claim
    `SlotChooser.claim` makes (with no editorial rules); None when nothing is eligible."""
    chosen = next_candidate(ledger, channel, now)
    if chosen is None:
        return None
    return claim(ledger, chosen.delivery_id, owner, lease_until, channel=channel, now=now)


def eligible_at(item: ItemView, at: datetime) -> datetime:
    """The time nearest `at` at which a slot may take `item`: not before its not_before or
    pinned time, before its expiry (the queue refuses an item whose window is empty)."""
    starts = [t for t in (item.not_before, item.publish_at) if t is not None]
    if starts and at < max(starts):
        return max(starts)
    if item.expires_at is not None and at >= item.expires_at:
        return item.expires_at - timedelta(microseconds=1)
    return at


def next_in_memory(candidates: Iterable[Candidate], now: datetime) -> Candidate | None:
    """The candidate a slot at `now` takes, as the forecast chooses it from memory."""
    return forecast(candidates, [now])[0]


def forecast(candidates: Iterable[Candidate], slots: Sequence[datetime]) -> list[Candidate | None]:
    """What each of `slots` takes, in turn, as `schedule` plays them forward: each slot the
    best candidate eligible at its own time, none taken twice."""
    played = Forecast(Snapshot("c", tuple(candidates)))
    out: list[Candidate | None] = []
    for at in slots:
        choice = pick(played.supply(at), NO_RULES, at)
        if choice is not None:
            played.take(choice, at)
        out.append(None if choice is None else choice.candidate)
    return out
