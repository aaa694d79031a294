"""Claiming deliveries with leases when several processes share the database (both backends).

`Ledger.claim_next` chooses and marks `publishing` in one transaction, with `FOR UPDATE SKIP
LOCKED` on PostgreSQL; `take_over` skips a row another process is locking; `count_attempt`
renews the lease only while the owner still holds the delivery. Threads and separate engines
race for real here: what counts is that no delivery is ever held by two owners.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from content_queue import ContentQueue, Ledger, NewItem, make_engine
from tests.choosing import claim, next_candidate
from tests.conftest import FakeClock
from tests.storage.queue.test_ledger import race

T = TypeVar("T")
LEASE = timedelta(minutes=5)


@pytest.fixture
def queue(engine: Engine, clock: FakeClock) -> ContentQueue:
    return ContentQueue(engine, clock=clock)


@pytest.fixture
def other_engine(database_url: str) -> Iterator[Engine]:
    """A second engine on the same database: another replica's connection pool."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def add(queue: ContentQueue, n: int, tag: str = "", **fields: Any) -> list[int]:
    """`n` approved items for channel `m` (URLs made unique by `tag`); their delivery ids,
    oldest first."""
    return [
        queue.add(NewItem(url=f"https://example.org/{tag}{i}", channels=("m",), **fields))
        .deliveries[0]
        .id
        for i in range(n)
    ]


def drain(ledger: Ledger, owner: str, clock: FakeClock) -> list[int]:
    """Claim deliveries of channel `m` for `owner` until there are none left."""
    taken = []
    while (got := ledger.claim_next("m", owner, clock(), clock() + LEASE)) is not None:
        taken.append(got[0].id)
    return taken


def test_claim_next_takes_the_next_in_selection_order(
    engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    ledger = Ledger(engine, clock)
    low = add(queue, 2)
    [high] = add(queue, 1, tag="high", priority=5)
    chosen = next_candidate(ledger, "m", clock())
    assert chosen is not None and chosen.delivery_id == high
    assert drain(ledger, "host-a", clock) == [high, *low]
    assert (
        claim(ledger, low[0], "x", clock() + LEASE, channel="m", now=clock()) is None
    )  # claimed once
    states = {d.state for i in queue.list_items() for d in i.deliveries}
    assert states == {"publishing"}


def test_claim_next_passes_over_what_is_not_eligible(
    engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    ledger = Ledger(engine, clock)
    [later] = add(queue, 1, not_before=clock() + timedelta(hours=1))
    [draft] = add(queue, 1, tag="draft", draft=True)
    assert ledger.claim_next("m", "host-a", clock(), clock() + LEASE) is None
    clock.advance(hours=2)
    got = ledger.claim_next("m", "host-a", clock(), clock() + LEASE)
    assert got is not None and got[0].id == later and got[0].owner == "host-a"
    assert draft not in drain(ledger, "host-a", clock)


def test_threads_claiming_one_channel_never_share_a_delivery(
    engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    ids = add(queue, 24)
    ledger = Ledger(engine, clock)
    results = race([lambda n=n: drain(ledger, f"t{n}", clock) for n in range(6)])  # type: ignore[misc]
    claimed = Counter(i for taken in results for i in taken)
    assert sorted(claimed) == sorted(ids) and set(claimed.values()) == {1}


def test_two_engines_claiming_one_channel_never_share_a_delivery(
    engine: Engine, other_engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    ids = add(queue, 30)
    one, two = Ledger(engine, clock), Ledger(other_engine, clock)
    a, b = race([lambda: drain(one, "a", clock), lambda: drain(two, "b", clock)])
    assert sorted(a + b) == sorted(ids) and not set(a) & set(b)
    owners = {
        row[0]: row[1]
        for row in _rows(engine, "SELECT id, owner FROM deliveries WHERE state = 'publishing'")
    }
    assert {i for i, o in owners.items() if o == "a"} == set(a)


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def _postgres_only(engine: Engine) -> None:
    if engine.url.get_backend_name() != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers with BEGIN IMMEDIATE")


def promptly(call: Callable[[], T], seconds: float = 5.0) -> T:
    """`call()`, which must not wait on the other transaction's row lock: a thread that has not
    answered within `seconds` fails the test instead of hanging it."""
    out: list[T] = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for more than {seconds}s behind a locked row"
    [result] = out
    return result


def _lock_row(conn: Connection, delivery_id: int) -> None:
    """Another replica in the middle of a transaction on this delivery's row."""
    conn.execute(text("SELECT id FROM deliveries WHERE id = :id FOR UPDATE"), {"id": delivery_id})


def test_claim_next_skips_a_row_another_replica_is_locking(
    engine: Engine, other_engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    _postgres_only(engine)
    first, second = add(queue, 2)
    ledger = Ledger(engine, clock)
    with other_engine.connect() as conn:
        _lock_row(conn, first)
        got = promptly(lambda: ledger.claim_next("m", "host-a", clock(), clock() + LEASE))
        assert got is not None and got[0].id == second
        assert promptly(lambda: ledger.claim_next("m", "host-a", clock(), clock() + LEASE)) is None
        conn.rollback()
    got = ledger.claim_next("m", "host-a", clock(), clock() + LEASE)
    assert got is not None and got[0].id == first


def test_take_over_skips_a_row_another_replica_is_locking(
    engine: Engine, other_engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    _postgres_only(engine)
    [delivery_id] = add(queue, 1)
    ledger = Ledger(engine, clock)
    assert claim(ledger, delivery_id, "host-a", clock() + LEASE, channel="m", now=clock())
    expired = clock() + LEASE + timedelta(seconds=1)
    with other_engine.connect() as conn:
        _lock_row(conn, delivery_id)
        taken = promptly(
            lambda: ledger.take_over(
                delivery_id, "host-b", now=expired, lease_until=expired + LEASE
            )
        )
        assert not taken
        conn.rollback()
    assert ledger.take_over(delivery_id, "host-b", now=expired, lease_until=expired + LEASE)


def test_count_attempt_renews_the_lease_only_for_its_holder(
    engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    [delivery_id] = add(queue, 1)
    ledger = Ledger(engine, clock)
    assert claim(ledger, delivery_id, "host-a", clock() + LEASE, channel="m", now=clock())
    later = clock() + timedelta(minutes=4)
    assert ledger.count_attempt(delivery_id, owner="host-a", lease_until=later + LEASE)
    # Renewed: at the first lease's end it is still host-a's, nobody may take it over.
    at_first_end = clock() + LEASE + timedelta(seconds=1)
    assert ledger.in_flight(owner="host-b", now=at_first_end) == []
    assert not ledger.take_over(
        delivery_id, "host-b", now=at_first_end, lease_until=at_first_end + LEASE
    )
    expired = later + LEASE + timedelta(seconds=1)
    assert ledger.take_over(delivery_id, "host-b", now=expired, lease_until=expired + LEASE)
    assert not ledger.count_attempt(delivery_id, owner="host-a", lease_until=expired + LEASE)
    [(attempts, owner)] = _rows(engine, "SELECT attempts, owner FROM deliveries")
    assert (attempts, owner) == (2, "host-b")


def test_in_flight_own_live_and_also(engine: Engine, queue: ContentQueue, clock: FakeClock) -> None:
    mine, left, theirs, expired = add(queue, 4)
    ledger = Ledger(engine, clock)
    for d in (mine, left):
        assert claim(ledger, d, "host-a", clock() + LEASE, channel="m", now=clock())
    assert claim(ledger, theirs, "host-b", clock() + LEASE, channel="m", now=clock())
    assert claim(
        ledger, expired, "host-b", clock() - timedelta(seconds=1), channel="m", now=clock()
    )

    def ids(**kw: object) -> list[int]:
        return [f.delivery.id for f in ledger.in_flight(owner="host-a", now=clock(), **kw)]  # type: ignore[arg-type]

    assert ids() == [mine, left, expired]
    assert ids(own_live=False) == [expired]
    assert ids(own_live=False, also={left}) == [left, expired]
    assert ids(channel="other") == []
