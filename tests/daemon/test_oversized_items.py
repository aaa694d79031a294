"""The daemon meets an item too big to render (stored before the queue's size limits, or
written around them): the delivery fails at once with a reason that names the field, instead
of the slot spending minutes counting it (X's counter is quadratic on "a.a.a…"), and the next
item is posted. The queue refuses such items now; the database can still hold old ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from sqlalchemy import text
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, SlotOutcome
from tests.conftest import FakeClock
from xensocial.adapters.base import ChannelContext, TextLimits
from xensocial.adapters.x import XAdapter
from xensocial.publishing import Publisher

from .conftest import FakeNetwork, Sleeps, add_items, make_channel, make_settings

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class FakeX(FakeNetwork):
    """A network that counts as X does (the channel's network is "x")."""

    limits: ClassVar[TextLimits] = XAdapter.limits


def test_an_item_too_big_to_render_fails_with_the_field_named(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue = ContentQueue(engine, clock)
    too_big, dotted, fine = add_items(queue, 3)
    with engine.begin() as conn:
        update = text("UPDATE items SET title = :title, text = :text WHERE id = :id")
        conn.execute(update, {"title": "a" * 1024 * 1024, "text": "", "id": too_big})
        conn.execute(update, {"title": "T", "text": "a." * 100_000, "id": dotted})
    network = FakeX(ChannelContext("demo", data_dir=tmp_path, clock=clock))
    channel = make_channel(network="x")
    publisher = Publisher(
        Ledger(engine, clock),
        {"demo": network},
        make_settings(tmp_path, [channel]),
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
        queue=queue,
    )
    result = publisher.run_slot(channel, SLOT)
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, fine)
    assert [p.item_id for p in network.posted] == [fine]
    reasons = {}
    for item_id in (too_big, dotted):
        delivery = queue.get(item_id).delivery("demo")
        assert delivery is not None and delivery.state == "failed"
        reasons[item_id] = delivery.last_error
    prefix = "cannot render: too long for channel 'demo' (x): "
    assert reasons == {
        too_big: prefix + "title: 1048576 characters, at most 1000",
        dotted: prefix + "text: 200000 characters, at most 10000",
    }
