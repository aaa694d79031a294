"""The selection policy: unit tests of eligibility and rank, through the forecast's choice from
memory (`tests.choosing`: `selection.pick` over `Forecast`, as `schedule` runs it), and a
property test that the daemon's choice from the database (`EditorialStore.choose`, indexed SQL)
always picks what the forecast picks."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from content_queue import Candidate, ContentQueue, DeliveryState, ItemState, Ledger
from content_queue.selection import ineligible_reason, is_eligible, rank_key
from tests.choosing import candidates, claim, eligible_at, forecast, next_candidate, next_in_memory
from tests.conftest import FakeClock

from .conftest import new_item

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def cand(item_id: int, **fields: Any) -> Candidate:
    values: dict[str, Any] = {
        "delivery_id": item_id * 10,
        "item_id": item_id,
        "channel": "c",
        "priority": 0,
        "created_at": NOW - timedelta(days=1),
        "item_state": "approved",
        "delivery_state": "pending",
    } | fields
    return Candidate(**values)


# -- eligibility -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, None),
        ({"item_state": "draft"}, "item is draft"),
        ({"item_state": "cancelled"}, "item is cancelled"),
        ({"delivery_state": "published"}, "delivery is published"),
        ({"delivery_state": "publishing"}, "delivery is publishing"),
        ({"delivery_state": "failed"}, "delivery is failed"),
        ({"delivery_state": "unknown"}, "delivery is unknown"),
        ({"not_before": NOW + timedelta(seconds=1)}, "not before 2026-03-02T09:00:01+00:00"),
        ({"not_before": NOW}, None),  # the embargo ends at not_before itself
        ({"not_before": NOW - HOUR}, None),
        ({"expires_at": NOW}, "expired at 2026-03-02T09:00:00+00:00"),  # gone at expires_at
        ({"expires_at": NOW + timedelta(seconds=1)}, None),
        ({"not_before": NOW - HOUR, "expires_at": NOW + HOUR}, None),
    ],
)
def test_ineligible_reason(fields: dict[str, object], reason: str | None) -> None:
    c = cand(1, **fields)
    assert ineligible_reason(c, NOW) == reason
    assert is_eligible(c, NOW) is (reason is None)


def test_item_state_is_checked_before_delivery_state() -> None:
    c = cand(1, item_state="cancelled", delivery_state="published")
    assert ineligible_reason(c, NOW) == "item is cancelled"


# -- ranking -----------------------------------------------------------------------------------


def test_highest_priority_first() -> None:
    low_old = cand(1, priority=0, created_at=NOW - 3 * HOUR)
    high_young = cand(2, priority=5, created_at=NOW - HOUR)
    negative = cand(3, priority=-1, created_at=NOW - 9 * HOUR)
    assert next_in_memory([low_old, high_young, negative], NOW) == high_young


def test_then_oldest() -> None:
    young = cand(1, created_at=NOW - HOUR)
    old = cand(2, created_at=NOW - 2 * HOUR)
    assert next_in_memory([young, old], NOW) == old


def test_then_lowest_id() -> None:
    same = NOW - HOUR
    a, b, c = cand(7, created_at=same), cand(3, created_at=same), cand(5, created_at=same)
    assert next_in_memory([a, b, c], NOW) == b
    assert sorted([a, b, c], key=rank_key) == [b, c, a]


def test_ineligible_candidates_are_passed_over() -> None:
    best_but_draft = cand(1, priority=9, item_state="draft")
    best_but_embargoed = cand(2, priority=8, not_before=NOW + HOUR)
    best_but_expired = cand(3, priority=7, expires_at=NOW - HOUR)
    best_but_posted = cand(4, priority=6, delivery_state="published")
    fine = cand(5, priority=0)
    pool = [best_but_draft, best_but_embargoed, best_but_expired, best_but_posted, fine]
    assert next_in_memory(pool, NOW) == fine
    assert next_in_memory(pool[:4], NOW) is None
    assert next_in_memory([], NOW) is None


def test_the_choice_does_not_depend_on_input_order() -> None:
    pool = [
        cand(i, priority=i % 3, created_at=NOW - timedelta(minutes=i % 4)) for i in range(1, 13)
    ]
    expected = next_in_memory(pool, NOW)
    for perm in itertools.islice(itertools.permutations(pool), 0, 2000, 97):
        assert next_in_memory(perm, NOW) == expected


# -- the forecast, slot after slot -------------------------------------------------------------


def test_forecast_gives_each_slot_a_different_candidate_in_rank_order() -> None:
    a, b, c = cand(1, priority=2), cand(2, priority=1), cand(3)
    slots = [NOW, NOW + HOUR, NOW + 2 * HOUR, NOW + 3 * HOUR]
    assert forecast([c, a, b], slots) == [a, b, c, None]


def test_forecast_lets_an_embargoed_item_fill_a_later_slot() -> None:
    embargoed = cand(1, priority=9, not_before=NOW + 90 * timedelta(minutes=1))
    plain = cand(2)
    other = cand(3)
    slots = [NOW, NOW + HOUR, NOW + 2 * HOUR]
    assert forecast([embargoed, plain, other], slots) == [plain, other, embargoed]


def test_forecast_skips_an_item_once_it_has_expired() -> None:
    expiring = cand(1, priority=1, expires_at=NOW + 30 * timedelta(minutes=1))
    plain = cand(2)
    assert forecast([expiring, plain], [NOW + HOUR, NOW + 2 * HOUR]) == [plain, None]
    assert forecast([expiring, plain], [NOW, NOW + HOUR]) == [expiring, plain]


def test_forecast_leaves_its_input_alone() -> None:
    pool = [cand(2), cand(1)]
    forecast(pool, [NOW])
    assert [c.item_id for c in pool] == [2, 1]


# -- the database's choice agrees with the forecast's ------------------------------------------

_ITEM_STATES = st.sampled_from([ItemState.APPROVED, ItemState.APPROVED, ItemState.DRAFT, "cancel"])
_DELIVERY_STATES = st.sampled_from(
    [DeliveryState.PENDING] * 3
    + [DeliveryState.PUBLISHING, DeliveryState.PUBLISHED, DeliveryState.FAILED, "unknown"]
)
_OFFSET = st.integers(min_value=-5, max_value=5).map(lambda n: n * timedelta(minutes=30))
_ITEM = st.fixed_dictionaries(
    {
        "priority": st.integers(min_value=-2, max_value=2),
        # Several items may share a creation time: the tie is broken by id.
        "age": st.sampled_from([0, 1, 1, 2, 7, 30]).map(lambda n: n * timedelta(minutes=1)),
        "micro": st.integers(min_value=0, max_value=2),
        "not_before": st.none() | _OFFSET,
        "expires_at": st.none() | _OFFSET,
        "item_state": _ITEM_STATES,
        "delivery_state": _DELIVERY_STATES,
        "edit_priority": st.none() | st.integers(min_value=-2, max_value=2),
    }
)
_example_counter = itertools.count()


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(_ITEM, min_size=0, max_size=12), probe=_OFFSET)
def test_the_database_choice_agrees_with_the_forecast(
    engine: Engine,
    queue: ContentQueue,
    ledger: Ledger,
    clock: FakeClock,
    items: list[dict[str, Any]],
    probe: timedelta,
) -> None:
    # Examples share the test's database, so each one uses a channel of its own.
    channel = f"prop{next(_example_counter)}"
    other = f"{channel}-other"
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    now = start + timedelta(hours=1)
    for n, spec in enumerate(items):
        clock.set(now - spec["age"] + spec["micro"] * timedelta(microseconds=1))
        nb, ex = spec["not_before"], spec["expires_at"]
        if nb is not None and ex is not None and ex <= nb:
            ex = None  # the queue refuses such an item
        item = queue.add(
            new_item(
                f"https://example.org/{channel}/{n}",
                channels=(channel, other),
                priority=spec["priority"],
                not_before=now + nb if nb is not None else None,
                expires_at=now + ex if ex is not None else None,
                draft=spec["item_state"] == ItemState.DRAFT,
            )
        )
        clock.set(now)
        if spec["edit_priority"] is not None:
            queue.edit_item(item.id, {"priority": spec["edit_priority"]})
        d = item.delivery(channel)
        assert d is not None
        # A draft's deliveries are all pending: publishing needs an approved item.
        if (
            spec["delivery_state"] != DeliveryState.PENDING
            and spec["item_state"] != ItemState.DRAFT
        ):
            at = eligible_at(item, now)  # as a slot could take it, then
            assert claim(ledger, d.id, "me", now + HOUR, channel=channel, now=at) is not None
            if spec["delivery_state"] == DeliveryState.PUBLISHED:
                ledger.mark_published(d.id, remote_id="r", remote_url=None, published_at=now)
            elif spec["delivery_state"] == DeliveryState.FAILED:
                ledger.mark_failed(d.id, "refused")
            elif spec["delivery_state"] == "unknown":
                ledger.mark_unknown(d.id, "timeout")
        if spec["item_state"] == "cancel":
            queue.cancel(item.id)
    at = now + probe
    everything = [
        Candidate(
            delivery_id=dv.id,
            item_id=view.id,
            channel=channel,
            priority=view.priority,
            created_at=view.created_at,
            item_state=view.state,
            delivery_state=dv.state,
            not_before=view.not_before,
            expires_at=view.expires_at,
        )
        for view in queue.list_items(channel=channel, limit=1000)
        for dv in view.deliveries
        if dv.channel == channel
    ]
    assert len(everything) == len(items)
    expected = next_in_memory(everything, at)
    got = next_candidate(ledger, channel, at)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert replace(got, title="", url="", category="") == expected
    # The few candidates the index returns are the policy's ranking of the eligible ones.
    ranked = sorted((c for c in everything if ineligible_reason(c, at) is None), key=rank_key)
    shown = candidates(engine, channel, at, limit=3)
    assert [c.delivery_id for c in shown] == [c.delivery_id for c in ranked[:3]]
