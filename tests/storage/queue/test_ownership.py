"""Who may finish a delivery: only the process that holds it.

A delivery being published is held by an owner under a lease. When the lease expires, another
process may take it over (`Ledger.take_over`) and settle it; from then on the first owner's late
finishing steps (`mark_published`, `release`, `mark_failed`, `mark_unknown` with `owner`) must
do nothing, or a delivery already settled could be moved back to pending and posted twice, or a
reconciler's finding overwritten. Both backends; the races use two engines, as two processes
would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, make_engine
from tests.choosing import claim
from tests.conftest import FakeClock
from tests.daemon.conftest import FakeNetwork, Sleeps, add_items, make_channel, make_settings
from xensocial.adapters.base import ChannelContext, Post, PublishResult
from xensocial.publishing import Publisher
from xensocial.reconcile import reconcile_in_flight

from .conftest import new_item

LEASE = timedelta(minutes=5)
SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _begun(ledger: Ledger, queue: ContentQueue, clock: FakeClock, owner: str = "host-a") -> int:
    item = queue.add(new_item("https://example.org/a", channels=("mastodon",)))
    delivery_id = item.deliveries[0].id
    assert (
        claim(ledger, delivery_id, owner, clock() + LEASE, channel="mastodon", now=clock())
        is not None
    )
    return delivery_id


def _row(queue: ContentQueue, delivery_id: int) -> tuple[str, str | None]:
    for item in queue.list_items(limit=100):
        for d in item.deliveries:
            if d.id == delivery_id:
                return d.state, d.owner
    raise AssertionError(f"no delivery {delivery_id}")


FINISHERS: dict[str, Callable[..., bool]] = {
    "published": lambda ledger, i, **kw: ledger.mark_published(
        i, remote_id="r1", remote_url=None, published_at=SLOT, **kw
    ),
    "pending": lambda ledger, i, **kw: ledger.release(i, "try later", **kw),
    "failed": lambda ledger, i, **kw: ledger.mark_failed(i, "refused", **kw),
    "unknown": lambda ledger, i, **kw: ledger.mark_unknown(i, "cannot tell", **kw),
}


@pytest.mark.parametrize("end_state", sorted(FINISHERS))
def test_only_the_owner_finishes_a_delivery(
    ledger: Ledger, queue: ContentQueue, clock: FakeClock, end_state: str
) -> None:
    finish = FINISHERS[end_state]
    delivery_id = _begun(ledger, queue, clock)
    assert not finish(ledger, delivery_id, owner="host-b")
    assert _row(queue, delivery_id) == ("publishing", "host-a")
    assert finish(ledger, delivery_id, owner="host-a")
    assert _row(queue, delivery_id) == (end_state, None)


@pytest.mark.parametrize("end_state", sorted(FINISHERS))
def test_without_an_owner_the_state_check_alone_applies(
    ledger: Ledger, queue: ContentQueue, clock: FakeClock, end_state: str
) -> None:
    delivery_id = _begun(ledger, queue, clock)
    assert FINISHERS[end_state](ledger, delivery_id)
    assert _row(queue, delivery_id) == (end_state, None)
    assert not FINISHERS["pending"](ledger, delivery_id)  # no longer `publishing`


def test_an_unknown_delivery_is_settled_by_a_person_not_by_an_owner(
    ledger: Ledger, queue: ContentQueue, clock: FakeClock
) -> None:
    delivery_id = _begun(ledger, queue, clock)
    assert ledger.mark_unknown(delivery_id, "cannot tell", owner="host-a")
    assert not FINISHERS["published"](ledger, delivery_id, owner="host-a")  # nobody holds it
    assert FINISHERS["published"](ledger, delivery_id)  # staff, who found it out there
    assert _row(queue, delivery_id) == ("published", None)


def test_take_over_needs_an_expired_lease_or_no_owner_or_the_same_owner(
    ledger: Ledger, queue: ContentQueue, clock: FakeClock
) -> None:
    delivery_id = _begun(ledger, queue, clock)
    later = clock() + timedelta(minutes=1)
    assert not ledger.take_over(delivery_id, "host-b", now=later, lease_until=later + LEASE)
    assert _row(queue, delivery_id) == ("publishing", "host-a")
    # Its own owner may renew (a restarted replica of the same identity).
    assert ledger.take_over(delivery_id, "host-a", now=later, lease_until=later + LEASE)
    # The renewed lease counts: at the first lease's end host-b still may not.
    at_first_end = clock() + LEASE + timedelta(seconds=1)
    assert not ledger.take_over(
        delivery_id, "host-b", now=at_first_end, lease_until=at_first_end + LEASE
    )
    expired = later + LEASE + timedelta(seconds=1)
    assert ledger.take_over(delivery_id, "host-b", now=expired, lease_until=expired + LEASE)
    assert _row(queue, delivery_id) == ("publishing", "host-b")
    [flight] = ledger.in_flight(owner="host-b", now=expired)
    assert flight.delivery.owner == "host-b"
    assert ledger.in_flight(owner="host-a", now=expired) == []  # host-b's lease is fresh


def test_after_a_take_over_the_first_owner_can_finish_nothing(
    ledger: Ledger, queue: ContentQueue, clock: FakeClock
) -> None:
    delivery_id = _begun(ledger, queue, clock)
    expired = clock() + LEASE + timedelta(seconds=1)
    assert ledger.take_over(delivery_id, "host-b", now=expired, lease_until=expired + LEASE)
    for finish in FINISHERS.values():
        assert not finish(ledger, delivery_id, owner="host-a")
    assert _row(queue, delivery_id) == ("publishing", "host-b")
    assert ledger.release(delivery_id, "not found; safe to retry", owner="host-b")
    assert _row(queue, delivery_id) == ("pending", None)
    # And, released, it can no longer be taken over: only `publishing` deliveries can.
    assert not ledger.take_over(delivery_id, "host-a", now=expired, lease_until=expired + LEASE)


def test_a_delivery_with_no_owner_can_be_taken_over(
    ledger: Ledger, queue: ContentQueue, engine: Engine, clock: FakeClock
) -> None:
    from sqlalchemy import update

    from content_queue.schema import Delivery

    delivery_id = _begun(ledger, queue, clock)
    with engine.begin() as conn:  # as rows written before owners were recorded
        conn.execute(update(Delivery).where(Delivery.id == delivery_id).values(owner=None))
    assert ledger.take_over(delivery_id, "host-b", now=clock(), lease_until=clock() + LEASE)
    assert _row(queue, delivery_id) == ("publishing", "host-b")


def test_two_processes_taking_over_one_delivery_one_wins(
    engine: Engine, database_url: str, queue: ContentQueue, clock: FakeClock
) -> None:
    ledger = Ledger(engine, clock)
    ids = [_begun(ledger, queue, clock)]
    for n in range(7):
        item = queue.add(new_item(f"https://example.org/{n}", channels=("m",)))
        assert claim(
            ledger, item.deliveries[0].id, "host-a", clock() + LEASE, channel="m", now=clock()
        )
        ids.append(item.deliveries[0].id)
    other = make_engine(database_url)
    try:
        expired = clock() + LEASE + timedelta(seconds=1)
        ledgers = {"host-b": ledger, "host-c": Ledger(other, clock)}
        barrier = threading.Barrier(2)
        won: dict[str, list[bool]] = {}

        def contend(owner: str) -> None:
            barrier.wait(timeout=10)
            won[owner] = [
                ledgers[owner].take_over(i, owner, now=expired, lease_until=expired + LEASE)
                for i in ids
            ]

        threads = [threading.Thread(target=contend, args=(o,)) for o in ledgers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert set(won) == {"host-b", "host-c"}, "a contender failed"
        # Whoever comes second finds the winner's fresh lease: one taker per delivery.
        assert [b != c for b, c in zip(won["host-b"], won["host-c"], strict=True)] == [True] * 8
    finally:
        other.dispose()


# -- the publisher and reconciliation use it ------------------------------------------------------


def _settings(tmp_path: Path) -> Any:
    return make_settings(tmp_path, [make_channel()])


def test_reconciliation_takes_over_before_it_looks_and_settles_as_the_new_owner(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    first, second = add_items(queue, 2)
    ids = [queue.get(i).deliveries[0].id for i in (first, second)]
    for delivery_id in ids:
        assert claim(ledger, delivery_id, "host-a", clock() + LEASE, channel="demo", now=clock())
    clock.advance(LEASE + timedelta(seconds=1))  # host-a stalled; its leases ran out
    lookups: list[tuple[str, str]] = []

    class Observed(FakeNetwork):
        def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
            # While host-b looks, stale host-a wakes up and tries to finish: refused.
            lookups.append(_row(queue, ids[0] if post.item_id == first else ids[1]))
            assert not ledger.mark_failed(ids[0], "late host-a", owner="host-a")
            # ... and a third replica grabs the second delivery meanwhile (its lease expired).
            assert ledger.take_over(ids[1], "host-c", now=clock(), lease_until=clock() + LEASE)
            return super().find_published(post, since=since)

    net = Observed(ChannelContext("demo", data_dir=tmp_path, clock=clock))
    done = reconcile_in_flight(
        ledger, {"demo": net}, _settings(tmp_path), identity="host-b", now=clock()
    )
    assert lookups == [("publishing", "host-b")]  # held by host-b while it looked
    assert [(r.delivery_id, r.action) for r in done] == [(ids[0], "released"), (ids[1], "left")]
    assert "another process" in (done[1].detail or "")
    assert _row(queue, ids[0]) == ("pending", None)
    assert _row(queue, ids[1]) == ("publishing", "host-c")


def test_a_publisher_whose_delivery_was_taken_over_does_not_record_its_outcome(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    [item] = add_items(queue, 1)
    delivery_id = queue.get(item).deliveries[0].id

    class Slow(FakeNetwork):
        def publish(self, post: Post) -> PublishResult:
            # The call hangs past the lease; another replica takes the delivery over and
            # settles it (it will find this post by its key) before the answer comes back.
            clock.advance(LEASE + timedelta(seconds=1))
            assert ledger.take_over(delivery_id, "host-b", now=clock(), lease_until=clock() + LEASE)
            return super().publish(post)

    net = Slow(ChannelContext("demo", data_dir=tmp_path, clock=clock))
    channel = make_channel()
    publisher = Publisher(
        ledger,
        {"demo": net},
        make_settings(tmp_path, [channel]),
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
        queue=queue,
    )
    publisher.run_slot(channel, SLOT)
    assert len(net.posted) == 1
    assert _row(queue, delivery_id) == ("publishing", "host-b")  # host-a wrote nothing
    [settled] = reconcile_in_flight(
        ledger, {"demo": net}, make_settings(tmp_path, [channel]), identity="host-b", now=clock()
    )
    assert settled.action == "published"
    d = queue.get(item).deliveries[0]
    assert (d.state, d.remote_id) == ("published", "fake-1")
