"""The ledger: slot claims, delivery transitions and leases, pauses, per-channel figures.

The races run real threads (and two engines, as two processes would have) against one database:
whatever the interleaving, exactly one contender may win a slot or a delivery.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, DeliveryState, Ledger, SlotOutcome, make_engine
from content_queue.calendar_store import channel_figures
from tests.choosing import candidates, claim, next_candidate
from tests.conftest import FakeClock
from tests.stored_rows import recent_slots

from .conftest import new_item

T = TypeVar("T")
SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def race(contenders: list[Callable[[], T]]) -> list[T]:
    """Run the callables at once, one thread each, and return their results in order."""
    barrier = threading.Barrier(len(contenders))
    results: list[T | None] = [None] * len(contenders)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = contenders[i]()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(contenders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


@pytest.fixture
def second_engine(database_url: str) -> Iterator[Engine]:
    """Another engine on the same database: what a second daemon process would have."""
    other = make_engine(database_url)
    yield other
    other.dispose()


# -- slots -------------------------------------------------------------------------------------


def test_a_slot_is_claimed_once(ledger: Ledger, clock: FakeClock) -> None:
    claim = ledger.claim_slot("mastodon", SLOT, "host-a")
    assert isinstance(claim, int)
    assert ledger.claim_slot("mastodon", SLOT, "host-a") is None  # not even by its owner again
    assert ledger.claim_slot("mastodon", SLOT, "host-b") is None
    # Another channel, or another time, is another slot.
    assert ledger.claim_slot("bluesky", SLOT, "host-a") is not None
    assert ledger.claim_slot("mastodon", SLOT + timedelta(seconds=1), "host-a") is not None
    assert ledger.slots_claimed("mastodon", SLOT) == {SLOT, SLOT + timedelta(seconds=1)}
    assert ledger.slots_claimed("mastodon", SLOT + timedelta(seconds=1)) == {
        SLOT + timedelta(seconds=1)
    }


def test_the_same_instant_in_another_zone_is_the_same_slot(ledger: Ledger) -> None:
    from zoneinfo import ZoneInfo

    local = SLOT.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert ledger.claim_slot("mastodon", SLOT, "a") is not None
    assert ledger.claim_slot("mastodon", local, "b") is None


def test_finish_slot_records_the_outcome(ledger: Ledger, engine: Engine, clock: FakeClock) -> None:
    claim = ledger.claim_slot("mastodon", SLOT, "host-a")
    assert claim is not None
    [record] = recent_slots(engine, "mastodon")
    assert (record.outcome, record.claimed_by, record.claimed_at) == ("claimed", "host-a", clock())
    ledger.finish_slot(claim, SlotOutcome.PUBLISHED, item_id=7, detail="posted")
    [record] = recent_slots(engine, "mastodon")
    assert (record.slot_at, record.outcome, record.item_id, record.detail) == (
        SLOT,
        "published",
        7,
        "posted",
    )


def test_slot_records_read_newest_first(ledger: Ledger, engine: Engine) -> None:
    for n in range(5):
        ledger.claim_slot("a" if n % 2 else "b", SLOT + n * timedelta(hours=1), "me")
    assert [r.slot_at for r in recent_slots(engine, limit=3)] == [
        SLOT + 4 * timedelta(hours=1),
        SLOT + 3 * timedelta(hours=1),
        SLOT + 2 * timedelta(hours=1),
    ]
    assert [r.channel for r in recent_slots(engine, "a")] == ["a", "a"]


def test_threads_racing_for_a_slot(ledger: Ledger, engine: Engine) -> None:
    results = race([partial(ledger.claim_slot, "m", SLOT, f"t{n}") for n in range(8)])
    assert sum(r is not None for r in results) == 1
    [record] = recent_slots(engine, "m")
    assert record.claimed_by == f"t{[r is not None for r in results].index(True)}"


def test_two_engines_racing_for_slots(
    engine: Engine, second_engine: Engine, clock: FakeClock
) -> None:
    one, two = Ledger(engine, clock), Ledger(second_engine, clock)
    slots = [SLOT + n * timedelta(minutes=1) for n in range(10)]

    def claim_all(ledger: Ledger, owner: str) -> list[int | None]:
        return [ledger.claim_slot("m", at, owner) for at in slots]

    a, b = race([lambda: claim_all(one, "a"), lambda: claim_all(two, "b")])
    for x, y in zip(a, b, strict=True):
        assert (x is None) != (y is None)
    assert len(recent_slots(engine, "m", limit=100)) == 10


# -- deliveries --------------------------------------------------------------------------------


@pytest.fixture
def delivery_id(queue: ContentQueue) -> int:
    item = queue.add(new_item("https://example.org/a", channels=("mastodon", "bluesky")))
    d = item.delivery("mastodon")
    assert d is not None
    return d.id


def _state(queue: ContentQueue, delivery_id: int) -> tuple[str, int, str | None, str | None]:
    [item] = queue.list_items(limit=1)
    d = next(d for d in item.deliveries if d.id == delivery_id)
    return d.state, d.attempts, d.owner, d.last_error


def test_claiming_a_delivery(
    ledger: Ledger, queue: ContentQueue, delivery_id: int, clock: FakeClock
) -> None:
    got = claim(ledger, delivery_id, "host-a", clock() + LEASE, channel="mastodon", now=clock())
    assert got is not None
    delivery, item = got
    assert (delivery.state, delivery.attempts, delivery.owner) == ("publishing", 1, "host-a")
    assert item.url == "https://example.org/a"
    assert item.delivery("mastodon") == delivery
    # It is no longer pending: nobody may begin it again, not even its owner.
    assert (
        claim(ledger, delivery_id, "host-a", clock() + LEASE, channel="mastodon", now=clock())
        is None
    )
    assert (
        claim(ledger, delivery_id, "host-b", clock() + LEASE, channel="mastodon", now=clock())
        is None
    )
    assert next_candidate(ledger, "mastodon", clock()) is None
    chosen = next_candidate(ledger, "bluesky", clock())
    assert chosen is not None and chosen.item_id == item.id


def test_claiming_refuses_an_item_cancelled_after_the_choice(
    ledger: Ledger, queue: ContentQueue, delivery_id: int, clock: FakeClock
) -> None:
    chosen = next_candidate(ledger, "mastodon", clock())
    assert chosen is not None and chosen.delivery_id == delivery_id
    queue.cancel(chosen.item_id)
    assert (
        claim(ledger, delivery_id, "me", clock() + LEASE, channel="mastodon", now=clock()) is None
    )
    assert _state(queue, delivery_id)[0] == "pending"


def test_threads_racing_to_publish_one_delivery(
    ledger: Ledger, queue: ContentQueue, delivery_id: int, clock: FakeClock
) -> None:
    results = race(
        [
            partial(
                claim,
                ledger,
                delivery_id,
                f"t{n}",
                clock() + LEASE,
                channel="mastodon",
                now=clock(),
            )
            for n in range(8)
        ]
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert _state(queue, delivery_id)[:3] == ("publishing", 1, winners[0][0].owner)


def test_two_engines_racing_to_publish(
    engine: Engine, second_engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    ids = [
        queue.add(new_item(f"https://example.org/{n}", channels=("m",))).deliveries[0].id
        for n in range(10)
    ]
    one, two = Ledger(engine, clock), Ledger(second_engine, clock)

    def take_all(ledger: Ledger, owner: str) -> list[bool]:
        return [
            claim(ledger, i, owner, clock() + LEASE, channel="m", now=clock()) is not None
            for i in ids
        ]

    a, b = race([lambda: take_all(one, "a"), lambda: take_all(two, "b")])
    assert [x != y for x, y in zip(a, b, strict=True)] == [True] * 10


def test_published(ledger: Ledger, queue: ContentQueue, delivery_id: int, clock: FakeClock) -> None:
    claim(ledger, delivery_id, "me", clock() + LEASE, channel="mastodon", now=clock())
    assert ledger.mark_published(
        delivery_id, remote_id="109", remote_url="https://m.example/109", published_at=clock()
    )
    [item] = queue.list_items()
    d = item.delivery("mastodon")
    assert d is not None
    assert (d.state, d.remote_id, d.remote_url, d.published_at, d.owner) == (
        "published",
        "109",
        "https://m.example/109",
        clock(),
        None,
    )


@pytest.mark.parametrize(
    ("finish", "state", "error"),
    [
        (lambda led, i: led.release(i, "timeout"), "pending", "timeout"),
        (lambda led, i: led.mark_failed(i, "too long"), "failed", "too long"),
        (lambda led, i: led.mark_unknown(i, "no lookup"), "unknown", "no lookup"),
    ],
)
def test_finishing_a_publish(
    ledger: Ledger,
    queue: ContentQueue,
    delivery_id: int,
    clock: FakeClock,
    finish: Callable[[Ledger, int], bool],
    state: str,
    error: str,
) -> None:
    claim(ledger, delivery_id, "me", clock() + LEASE, channel="mastodon", now=clock())
    assert finish(ledger, delivery_id) is True
    assert _state(queue, delivery_id) == (state, 1, None, error)
    assert ledger.in_flight(owner="me", now=clock()) == []


def test_retry_and_attempts(
    ledger: Ledger, queue: ContentQueue, delivery_id: int, clock: FakeClock
) -> None:
    claim(ledger, delivery_id, "me", clock() + LEASE, channel="mastodon", now=clock())
    ledger.count_attempt(delivery_id)
    ledger.mark_failed(delivery_id, "refused")
    assert next_candidate(ledger, "mastodon", clock()) is None
    assert ledger.retry(delivery_id) is True
    assert _state(queue, delivery_id) == ("pending", 2, None, None)
    chosen = next_candidate(ledger, "mastodon", clock())
    assert chosen is not None and chosen.delivery_id == delivery_id
    assert (
        claim(ledger, delivery_id, "me", clock() + LEASE, channel="mastodon", now=clock())
        is not None
    )
    assert _state(queue, delivery_id)[:2] == ("publishing", 3)


def test_a_published_delivery_never_goes_back_to_pending(
    ledger: Ledger, queue: ContentQueue, delivery_id: int, clock: FakeClock
) -> None:
    # Host A's lease ran out mid-post; host B reconciled and found the post out. A's late
    # "release" (after a timeout) must not make the delivery pending again: it would post twice.
    claim(ledger, delivery_id, "host-a", clock() + LEASE, channel="mastodon", now=clock())
    clock.advance(LEASE * 2)
    [stale] = ledger.in_flight(owner="host-b", now=clock())
    assert ledger.mark_published(
        stale.delivery.id, remote_id="1", remote_url=None, published_at=clock()
    )
    assert ledger.release(delivery_id, "timeout") is False
    assert ledger.mark_failed(delivery_id, "late") is False
    assert ledger.mark_unknown(delivery_id, "late") is False
    assert ledger.retry(delivery_id) is False
    assert (
        claim(ledger, delivery_id, "host-c", clock() + LEASE, channel="mastodon", now=clock())
        is None
    )
    assert _state(queue, delivery_id)[0] == "published"


def test_transitions_need_the_state_they_start_from(
    ledger: Ledger, queue: ContentQueue, delivery_id: int
) -> None:
    # A pending delivery was never sent: it cannot be published, failed, or retried.
    assert (
        ledger.mark_published(
            delivery_id, remote_id="1", remote_url=None, published_at=datetime.now(UTC)
        )
        is False
    )
    assert ledger.mark_failed(delivery_id, "x") is False
    assert ledger.mark_unknown(delivery_id, "x") is False
    assert ledger.release(delivery_id, "x") is False
    assert ledger.retry(delivery_id) is False
    assert _state(queue, delivery_id) == ("pending", 0, None, None)


def test_a_person_may_settle_an_unknown_delivery_as_published(
    ledger: Ledger, queue: ContentQueue, delivery_id: int, clock: FakeClock
) -> None:
    claim(ledger, delivery_id, "me", clock() + LEASE, channel="mastodon", now=clock())
    ledger.mark_unknown(delivery_id, "cannot tell")
    assert ledger.mark_published(delivery_id, remote_id="9", remote_url=None, published_at=clock())
    assert _state(queue, delivery_id) == ("published", 1, None, None)


# -- in flight ---------------------------------------------------------------------------------


def test_in_flight_and_leases(ledger: Ledger, queue: ContentQueue, clock: FakeClock) -> None:
    ids = {
        name: queue.add(new_item(f"https://example.org/{name}", channels=("m",))).deliveries[0].id
        for name in ("mine", "theirs", "theirs_short", "done")
    }
    claim(ledger, ids["mine"], "host-a", clock() + LEASE, channel="m", now=clock())
    claim(ledger, ids["theirs"], "host-b", clock() + LEASE, channel="m", now=clock())
    claim(
        ledger,
        ids["theirs_short"],
        "host-b",
        clock() + timedelta(minutes=1),
        channel="m",
        now=clock(),
    )
    claim(ledger, ids["done"], "host-a", clock() + LEASE, channel="m", now=clock())
    ledger.mark_published(ids["done"], remote_id="1", remote_url=None, published_at=clock())

    def seen(owner: str) -> list[int]:
        return [f.delivery.id for f in ledger.in_flight(owner=owner, now=clock())]

    # Own deliveries (a previous run of this identity crashed), never someone's live lease.
    assert seen("host-a") == [ids["mine"]]
    assert seen("host-b") == [ids["theirs"], ids["theirs_short"]]
    assert seen("host-c") == []
    # A lease is live up to and including its end; after that anyone may reconcile.
    clock.advance(minutes=1)
    assert seen("host-a") == [ids["mine"]]
    clock.advance(microseconds=1)
    assert seen("host-a") == [ids["mine"], ids["theirs_short"]]
    clock.advance(LEASE)
    assert seen("host-c") == [ids["mine"], ids["theirs"], ids["theirs_short"]]
    [first] = ledger.in_flight(owner="host-a", now=clock())[:1]
    assert first.item.url == "https://example.org/mine"
    assert first.delivery.owner == "host-a" and first.delivery.state == "publishing"


# -- pauses ------------------------------------------------------------------------------------


def test_pause_and_resume(ledger: Ledger, clock: FakeClock) -> None:
    assert ledger.status("m").paused is False
    assert ledger.resume("m") is False
    assert ledger.pause("m", "auth failed", by="daemon") is True
    st = ledger.status("m")
    assert (st.paused, st.pause_reason, st.paused_at, st.paused_by) == (
        True,
        "auth failed",
        clock(),
        "daemon",
    )
    clock.advance(minutes=1)
    assert ledger.pause("m", "holiday", by="alice") is False  # already paused: reason updated
    assert ledger.status("m").pause_reason == "holiday"
    assert ledger.status("other").paused is False
    assert ledger.resume("m", by="alice") is True
    assert ledger.status("m") == type(st)("m", False, None, None, None)
    assert ledger.resume("m") is False
    assert ledger.pause("m", "again") is True


def test_pause_survives_a_new_ledger(engine: Engine, clock: FakeClock) -> None:
    Ledger(engine, clock).pause("m", "auth failed")
    assert Ledger(engine, clock).status("m").paused is True


# -- figures -----------------------------------------------------------------------------------


def test_published_since_and_last_published_at(
    ledger: Ledger, queue: ContentQueue, clock: FakeClock
) -> None:
    assert ledger.last_published_at("m") is None
    assert ledger.published_since("m", clock() - timedelta(days=1)) == 0
    times = [clock() - timedelta(hours=h) for h in (30, 5, 1)]
    for n, at in enumerate(times):
        item = queue.add(new_item(f"https://example.org/{n}", channels=("m", "other")))
        d = item.delivery("m")
        assert d is not None
        claim(ledger, d.id, "me", clock() + LEASE, channel="m", now=clock())
        ledger.mark_published(d.id, remote_id=str(n), remote_url=None, published_at=at)
    failed = queue.add(new_item("https://example.org/failed", channels=("m",))).deliveries[0]
    claim(ledger, failed.id, "me", clock() + LEASE, channel="m", now=clock())
    ledger.mark_failed(failed.id, "no")
    assert ledger.published_since("m", clock() - timedelta(days=1)) == 2
    assert ledger.published_since("m", times[1]) == 2  # `since` itself counts
    assert ledger.published_since("m", times[1] + timedelta(microseconds=1)) == 1
    assert ledger.published_since("m", clock() - timedelta(days=2)) == 3
    assert ledger.published_since("other", clock() - timedelta(days=2)) == 0
    assert ledger.last_published_at("m") == times[2]
    assert ledger.last_published_at("other") is None
    assert channel_figures(ledger, ["other"])["other"].pending == 3


def test_pending_count_counts_approved_items_only(ledger: Ledger, queue: ContentQueue) -> None:
    queue.add(new_item("https://example.org/a", channels=("m",)))
    queue.add(new_item("https://example.org/b", channels=("m",), draft=True))
    c = queue.add(new_item("https://example.org/c", channels=("m",)))
    queue.cancel(c.id)
    figures = channel_figures(ledger, ["m", "nowhere"])
    assert figures["m"].pending == 1
    assert figures["nowhere"].pending == 0


def test_candidates_can_include_embargoed_items(
    engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    later = queue.add(
        new_item(
            "https://example.org/later",
            channels=("m",),
            priority=5,
            not_before=clock() + timedelta(hours=2),
        )
    )
    now_item = queue.add(new_item("https://example.org/now", channels=("m",)))
    assert [c.item_id for c in candidates(engine, "m", clock())] == [now_item.id]
    assert [c.item_id for c in candidates(engine, "m", clock(), include_embargoed=True)] == [
        later.id,
        now_item.id,
    ]
    assert [
        c.item_id for c in candidates(engine, "m", clock(), limit=1, include_embargoed=True)
    ] == [later.id]


def test_state_names_are_stable() -> None:
    # Stored in the database: renaming one would orphan existing rows.
    assert [s.value for s in DeliveryState] == [
        "pending",
        "publishing",
        "published",
        "failed",
        "unknown",
    ]
    assert [s.value for s in SlotOutcome] == ["claimed", "published", "empty", "skipped", "failed"]


def test_two_engines_pausing_a_channel_at_once(
    engine: Engine, second_engine: Engine, clock: FakeClock
) -> None:
    # The daemon (auth failure) and staff (CLI) may pause a never-paused channel together.
    for n in range(5):
        one, two = Ledger(engine, clock), Ledger(second_engine, clock)
        channel = f"m{n}"
        results = race([partial(one.pause, channel, "auth"), partial(two.pause, channel, "staff")])
        assert sorted(results) == [False, True]
        assert one.status(channel).paused
