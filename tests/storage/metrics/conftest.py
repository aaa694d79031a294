"""Shared set-up for the metrics tests: published deliveries in a real database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from content_queue import ContentQueue
from content_queue.schema import Delivery, DeliveryState
from tests.conftest import FakeClock
from tests.daemon.conftest import add_items

__all__ = ["published"]


def published(
    engine: Engine,
    clock: FakeClock,
    channel: str,
    remote_ids: Sequence[str],
    published_at: Sequence[datetime],
) -> list[int]:
    """One published delivery on `channel` per remote id; returns the delivery ids."""
    queue = ContentQueue(engine, clock)
    items = add_items(queue, len(remote_ids), channels=(channel,))
    ids = []
    with Session(engine) as s, s.begin():
        for item, remote, at in zip(items, remote_ids, published_at, strict=True):
            delivery_id = s.scalar(
                update(Delivery)
                .where(Delivery.item_id == item, Delivery.channel == channel)
                .values(
                    state=DeliveryState.PUBLISHED.value,
                    remote_id=remote,
                    published_at=at,
                )
                .returning(Delivery.id)
            )
            assert delivery_id is not None
            ids.append(delivery_id)
    return ids
