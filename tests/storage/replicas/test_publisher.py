"""The publisher among replicas (both backends, a test clock, a scripted network).

A replica that died leaves its post in flight under a lease: another replica settles it once
the lease has expired, before one of its own slots, and never while the lease is live. A
replica whose lease ran out while it waited to retry must not send again. A process that shares
its identity with a live one must not treat that identity's posts in flight as its own.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, SlotOutcome
from tests.choosing import claim
from tests.conftest import FakeClock
from tests.daemon.conftest import FakeNetwork, add_items, make_channel, make_settings
from xensocial.adapters.base import ChannelContext, TransientError
from xensocial.publishing import Publisher

LEASE = timedelta(minutes=5)


def _publisher(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    net: FakeNetwork,
    *,
    identity: str = "host-a",
    sleep: object = None,
    exclusive_identity: bool = True,
) -> Publisher:
    settings = make_settings(tmp_path, [make_channel()], lease=LEASE)
    return Publisher(
        Ledger(engine, clock),
        {"demo": net},
        settings,
        identity=identity,
        clock=clock,
        sleep=sleep or (lambda seconds: True),  # type: ignore[arg-type]
        exclusive_identity=exclusive_identity,
    )


def _net(clock: FakeClock, tmp_path: Path, script: list[object] | None = None) -> FakeNetwork:
    return FakeNetwork(ChannelContext("demo", data_dir=tmp_path, clock=clock), script or [])


def _delivery(queue: ContentQueue, item_id: int) -> tuple[str, str | None, int]:
    d = queue.get(item_id).delivery("demo")
    assert d is not None
    return d.state, d.owner, d.id


def _in_flight(engine: Engine, clock: FakeClock, queue: ContentQueue, owner: str) -> int:
    """An item whose delivery `owner` holds `publishing` (it died, or is still at it)."""
    [item] = add_items(queue, 1)
    _, _, delivery_id = _delivery(queue, item)
    assert claim(
        Ledger(engine, clock), delivery_id, owner, clock() + LEASE, channel="demo", now=clock()
    )
    return item


def test_a_dead_replicas_post_is_settled_by_another_once_its_lease_expires(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue = ContentQueue(engine, clock)
    theirs = _in_flight(engine, clock, queue, owner="host-b")
    net = _net(clock, tmp_path)
    pub = _publisher(engine, clock, tmp_path, net)
    clock.advance(minutes=1)
    assert pub.run_slot(make_channel(), clock()).outcome is SlotOutcome.EMPTY  # a live lease
    assert _delivery(queue, theirs)[:2] == ("publishing", "host-b") and net.lookups == 0

    clock.advance(LEASE)  # host-b never came back
    result = pub.run_slot(make_channel(), clock())
    # Looked up first (not found: back to pending), then this very slot posted it.
    assert net.lookups == 1
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, theirs)
    assert _delivery(queue, theirs)[0] == "published" and len(net.posted) == 1


def test_a_retry_after_the_lease_was_taken_over_sends_nothing(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue = ContentQueue(engine, clock)
    [item] = add_items(queue, 1)
    net = _net(clock, tmp_path, [TransientError("503 Service Unavailable")])

    def slow_backoff(seconds: float) -> bool:
        # While host-a waits to retry, its lease runs out and host-b takes the delivery over.
        clock.advance(LEASE + timedelta(seconds=1))
        _, _, delivery_id = _delivery(queue, item)
        assert Ledger(engine, clock).take_over(
            delivery_id, "host-b", now=clock(), lease_until=clock() + LEASE
        )
        return True

    pub = _publisher(engine, clock, tmp_path, net, sleep=slow_backoff)
    result = pub.run_slot(make_channel(), clock())
    assert result.outcome is SlotOutcome.FAILED and "taken over" in (result.detail or "")
    assert net.publish_calls == 1  # the first try only: no second call on host-b's delivery
    assert _delivery(queue, item)[:2] == ("publishing", "host-b")


def test_sharing_an_identity_with_a_live_process_leaves_its_posts_alone(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue = ContentQueue(engine, clock)
    item = _in_flight(engine, clock, queue, owner="host-a")  # the other host-a, mid-post
    net = _net(clock, tmp_path)
    shared = _publisher(engine, clock, tmp_path, net, exclusive_identity=False)
    assert shared.reconcile() == [] and net.lookups == 0
    assert _delivery(queue, item)[:2] == ("publishing", "host-a")
    # Restarted alone under its name, the same identity settles what its last run left.
    alone = _publisher(engine, clock, tmp_path, net)
    [done] = alone.reconcile()
    assert done.action == "released" and _delivery(queue, item)[0] == "pending"


def test_a_failed_lookup_at_start_is_tried_again_at_the_next_slot(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue = ContentQueue(engine, clock)
    item = _in_flight(engine, clock, queue, owner="host-a")  # our last run died mid-post
    net = FakeNetwork(
        ChannelContext("demo", data_dir=tmp_path, clock=clock),
        lookup_script=[TransientError("502 Bad Gateway")],
    )
    pub = _publisher(engine, clock, tmp_path, net)
    [done] = pub.reconcile()
    assert (done.action, done.held) == ("left", True)  # ours now, under a fresh lease
    clock.advance(seconds=1)  # the next slot, long before that lease runs out
    result = pub.run_slot(make_channel(), clock())
    assert net.lookups == 2  # looked up again first: not out, so this slot posted it
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    assert len(net.posted) == 1
