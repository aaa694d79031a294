"""The content mix as pure functions (`content_queue.mix`): validation, the order a slot asks
for categories in, and two properties: with ample supply the shares converge to the targets,
and a category with something to post is never starved."""

from __future__ import annotations

import math
from collections import Counter, deque
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content_queue.mix import Mix, due_order

NEWS_FIRST = {"news": 0.4, "resource": 0.3, "article": 0.2, "event": 0.1}


def test_shares_are_weights_normalised_to_one() -> None:
    mix = Mix.of({"News": 2, "resource": 1, "event": 1})
    assert mix.targets == (("news", 0.5), ("resource", 0.25), ("event", 0.25))
    assert mix.window == timedelta(days=14)
    assert mix.describe() == "news 50%, resource 25%, event 25%"
    assert Mix.of(NEWS_FIRST).target("article") == pytest.approx(0.2)
    assert Mix.of(NEWS_FIRST).target("announcement") == 0.0


@pytest.mark.parametrize(
    ("weights", "problem"),
    [
        ({}, "at least one category"),
        ({"news": 0}, "above zero"),
        ({"news": -0.5}, "above zero"),
        ({"news": math.nan}, "above zero"),
        ({"news": math.inf}, "above zero"),
        ({"news": True}, "above zero"),
        ({" ": 1}, "must not be empty"),
        ({"News": 1, "news": 1}, "given twice"),
    ],
)
def test_a_bad_mix_is_refused(weights: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Mix.of(weights)


def test_the_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window"):
        Mix.of({"news": 1}, timedelta(0))


def test_an_empty_window_asks_for_the_largest_share_first() -> None:
    order = due_order(Mix.of(NEWS_FIRST), {})
    assert [d.category for d in order] == ["news", "resource", "article", "event"]
    assert order[0].describe() == "news 0% of 40%"


def test_the_category_furthest_behind_goes_first() -> None:
    # 10 posts: news 6 (60% of 40%), resource 1 (10% of 30%), article 2, event 1.
    counts = {"news": 6, "resource": 1, "article": 2, "event": 1, "announcement": 5}
    order = due_order(Mix.of(NEWS_FIRST), counts)
    assert order[0].category == "resource"
    assert order[0].describe() == "resource 10% of 30%"  # announcements are not counted
    assert order[-1].category == "news"
    assert [round(d.debt, 2) for d in order] == [2.3, 0.2, 0.1, -1.6]


def test_ties_go_to_the_larger_share_then_by_name() -> None:
    mix = Mix.of({"b": 1, "a": 1, "c": 2})
    assert [d.category for d in due_order(mix, {"a": 1, "b": 1, "c": 2})] == ["c", "a", "b"]


_WEIGHTS = st.dictionaries(
    st.sampled_from(["news", "resource", "article", "event", "website", "video"]),
    st.floats(min_value=0.05, max_value=10),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(weights=_WEIGHTS, slots=st.integers(min_value=1, max_value=400))
def test_with_ample_supply_every_share_stays_within_two_posts_of_its_target(
    weights: dict[str, float], slots: int
) -> None:
    mix = Mix.of(weights)
    counts: Counter[str] = Counter()
    for n in range(1, slots + 1):
        counts[due_order(mix, counts)[0].category] += 1
        for category, target in mix.targets:
            # The gap never grows with the number of slots: the shares converge.
            assert abs(counts[category] - target * n) < 2, (category, counts, n)


@pytest.mark.slow  # seconds to minutes: left out of the fast run (README, Testing)
@settings(max_examples=150, deadline=None)
@given(
    weights=_WEIGHTS,
    data=st.data(),
    extra=st.integers(min_value=0, max_value=30),
)
def test_a_category_with_supply_is_never_starved(
    weights: dict[str, float], data: st.DataObject, extra: int
) -> None:
    # A rolling window of posts, as the daemon counts them; the other categories have supply
    # only now and then (so their debts pile up), one category has something at every slot.
    mix = Mix.of(weights)
    steady = data.draw(st.sampled_from(mix.categories))
    window = math.ceil(1 / mix.target(steady)) + extra  # the window holds enough posts
    recent: deque[str] = deque(maxlen=window)
    since_steady = 0
    for _ in range(300):
        supplied = {c for c in mix.categories if c == steady or data.draw(st.booleans())}
        order = [d.category for d in due_order(mix, Counter(recent))]
        taken = next(c for c in order if c in supplied)
        recent.append(taken)
        since_steady = 0 if taken == steady else since_steady + 1
        assert since_steady < 2 * window, (steady, list(recent))
