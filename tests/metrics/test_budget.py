"""The round planner: never over budget, newest first, each post once (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from content_queue.metrics_store import DueSample
from xensocial.metrics.budget import month_start, plan_round, requests_available

START = datetime(2026, 3, 1, tzinfo=UTC)

dues = st.lists(
    st.builds(
        DueSample,
        delivery_id=st.integers(1, 60),
        channel=st.just("x"),
        remote_id=st.just("r"),
        published_at=st.integers(0, 10_000).map(lambda m: START + timedelta(minutes=m)),
        age=st.sampled_from([timedelta(hours=1), timedelta(days=1)]),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(dues, st.integers(1, 30), st.none() | st.integers(0, 10))
def test_plan_is_within_budget_newest_first_each_once(
    due: list[DueSample], batch: int, available: int | None
) -> None:
    plan = plan_round(due, batch=batch, available=available)
    if available is not None:
        assert plan.requests <= available
    chosen = [d for b in plan.batches for d in b]
    assert all(len(b) <= batch for b in plan.batches)
    ids = [d.delivery_id for d in chosen + plan.skipped]
    assert len(ids) == len(set(ids)) == len({d.delivery_id for d in due})
    stamps = [d.published_at for d in chosen + plan.skipped]
    assert stamps == sorted(stamps, reverse=True)
    if plan.skipped and chosen:
        assert min(d.published_at for d in chosen) >= max(d.published_at for d in plan.skipped)
    if available is None:
        assert not plan.skipped


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 500), st.integers(0, 30))
def test_spread_never_lets_a_month_exceed_its_budget(budget: int, day_offset: int) -> None:
    spent = 0
    for day in range(31):
        now = START + timedelta(days=day, hours=23)
        if now.month != START.month:
            break
        room = requests_available(budget, spent, now)
        assert room is not None
        spent += room  # the greediest caller spends all it is allowed
        assert spent <= budget
        # by the end of day d, at most ceil(budget * d / 31)
        assert spent <= -(-budget * (day + 1) // 31)
    assert requests_available(budget, spent, START + timedelta(days=day_offset)) in range(
        0, budget + 1
    )


def test_spread_numbers_by_hand() -> None:
    # March has 31 days: day 1 allows ceil(100/31) = 4; day 16 ceil(1600/31) = 52.
    assert requests_available(100, 0, START) == 4
    assert requests_available(100, 50, START + timedelta(days=15)) == 2
    assert requests_available(100, 99, START + timedelta(days=15), spread=False) == 1
    assert requests_available(100, 120, START, spread=False) == 0
    assert requests_available(None, 10**6, START) is None
    assert month_start(START + timedelta(days=20, hours=5)) == START
