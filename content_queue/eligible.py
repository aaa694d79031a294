"""Which pending deliveries a slot may take, and in what order, as SQL.

Its own module because three stores ask the same question: the ledger (`claim_next`), the
editorial store (one category's candidates) and the slot query (pinned items); the conditions
are written here once, so they cannot drift apart. The same rules as pure functions, for one
candidate at a time, are `selection.ineligible_reason` and `selection.rank_key`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from .schema import Delivery, DeliveryState, Item, ItemState

__all__ = ["RANK", "candidates_query", "eligible"]

RANK = (Delivery.sort_priority.desc(), Delivery.sort_created_at.asc(), Delivery.item_id.asc())
"""Selection order, as `ix_deliveries_selection` holds it (see `selection.rank_key`)."""


def eligible(
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
    """The pending deliveries of `channel` a slot at `now` may take, with their items, in
    rank order (`order_by` first), narrowed by `where`; `limit` None: every row."""
    return (
        select(Delivery, Item)
        .join(Item, Item.id == Delivery.item_id)
        .where(*eligible(channel, now, include_embargoed=include_embargoed), *where)
        .order_by(*order_by, *RANK)
        .limit(limit)
    )
