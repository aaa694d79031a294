"""The round planner: never over budget, newest first, each post once (hypothesis), whatever
a request costs: one read a request (most networks) or one a post (X)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from content_queue.metrics_store import DueSample
from xensocial.adapters._x_billing import post_reads
from xensocial.metrics.budget import ReadCost, month_start, plan_round, reads_available

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


def one_a_request(n: int) -> int:
    return 1


def one_per_ten(n: int) -> int:  # a network billing per page of ten: steps, not a line
    return -(-n // 10)


costs = st.sampled_from([one_a_request, post_reads, one_per_ten])


@settings(max_examples=300, deadline=None)
@given(dues, st.integers(1, 30), st.none() | st.integers(0, 40), costs)
def test_plan_is_within_budget_newest_first_each_once(
    due: list[DueSample], batch: int, available: int | None, cost: ReadCost
) -> None:
    plan = plan_round(due, batch=batch, available=available, cost=cost)
    assert plan.reads == [cost(len(b)) for b in plan.batches]
    if available is not None:
        assert sum(plan.reads) <= available
        if plan.skipped:  # and nothing more could have been afforded
            assert cost(1) > available - sum(plan.reads)
    chosen = [d for b in plan.batches for d in b]
    assert all(1 <= len(b) <= batch for b in plan.batches)
    ids = [d.delivery_id for d in chosen + plan.skipped]
    assert len(ids) == len(set(ids)) == len({d.delivery_id for d in due})
    stamps = [d.published_at for d in chosen + plan.skipped]
    assert stamps == sorted(stamps, reverse=True)
    if plan.skipped and chosen:
        assert min(d.published_at for d in chosen) >= max(d.published_at for d in plan.skipped)
    if available is None:
        assert not plan.skipped


def test_reads_by_hand() -> None:
    due = [
        DueSample(i, "x", str(i), START + timedelta(minutes=i), timedelta(hours=1))
        for i in range(250)
    ]
    # X bills each post: 150 reads pay for one lookup of 100 and a last one cut to 50.
    plan = plan_round(due, batch=100, available=150, cost=post_reads)
    assert ([len(b) for b in plan.batches], plan.reads, len(plan.skipped)) == (
        [100, 50],
        [100, 50],
        100,
    )
    assert plan.batches[0][0].delivery_id == 249  # the newest first
    # A network counting requests: 2 reads are 2 full lookups, whatever they return.
    plan = plan_round(due, batch=100, available=2, cost=one_a_request)
    assert ([len(b) for b in plan.batches], plan.reads, len(plan.skipped)) == (
        [100, 100],
        [1, 1],
        50,
    )
    assert plan_round(due, batch=100, available=0, cost=post_reads).batches == []


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 500), st.integers(0, 30))
def test_spread_never_lets_a_month_exceed_its_budget(budget: int, day_offset: int) -> None:
    spent = 0
    for day in range(31):
        now = START + timedelta(days=day, hours=23)
        if now.month != START.month:
            break
        room = reads_available(budget, spent, now)
        assert room is not None
        spent += room  # the greediest caller spends all it is allowed
        assert spent <= budget
        # by the end of day d, at most ceil(budget * d / 31)
        assert spent <= -(-budget * (day + 1) // 31)
    assert reads_available(budget, spent, START + timedelta(days=day_offset)) in range(
        0, budget + 1
    )


def test_spread_numbers_by_hand() -> None:
    # March has 31 days: day 1 allows ceil(100/31) = 4; day 16 ceil(1600/31) = 52.
    assert reads_available(100, 0, START) == 4
    assert reads_available(100, 50, START + timedelta(days=15)) == 2
    assert reads_available(100, 99, START + timedelta(days=15), spread=False) == 1
    assert reads_available(100, 120, START, spread=False) == 0
    assert reads_available(None, 10**6, START) is None
    assert month_start(START + timedelta(days=20, hours=5)) == START
