"""The editorial rules as pure functions: evergreen recycling (`recycling`), event reminders
(`events`), and the order in which a slot looks (`selection.pick`), answered from memory
(`forecast`), the way `xensocial schedule` plays them forward."""

from __future__ import annotations

from datetime import timedelta

import pytest

from content_queue.events import Event, describe_offset, reminder_due, reminder_key
from content_queue.forecast import Forecast, Snapshot
from content_queue.mix import Mix
from content_queue.recycling import (
    Evergreen,
    RecycleRules,
    best,
    not_due_reason,
    recycle_key,
)
from content_queue.selection import Choice, Rules, pick
from tests.storage.editorial.conftest import NOW, cand

DAY = timedelta(days=1)
RULES = RecycleRules(recycle_after=timedelta(days=60), max_repeats=3)


def green(item_id: int, category: str = "resource", **fields: object) -> Evergreen:
    values: dict[str, object] = {
        "item_id": item_id,
        "channel": "c",
        "category": category,
        "last_seen": NOW - 90 * DAY,
        "repeats": 0,
        "title": f"evergreen {item_id}",
    } | fields
    return Evergreen(**values)  # type: ignore[arg-type]


# -- recycling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, None),
        ({"last_seen": NOW - 60 * DAY}, None),  # due again at recycle_after itself
        ({"last_seen": NOW - 59 * DAY}, "again from 2026-03-03T09:00:00+00:00"),
        ({"repeats": 2}, None),
        ({"repeats": 3}, "posted again 3 time(s), max_repeats is 3"),
    ],
)
def test_when_an_evergreen_item_is_due_again(fields: dict[str, object], reason: str | None) -> None:
    found = not_due_reason(green(1, **fields), NOW, RULES)
    assert found == reason or (reason is not None and found is not None and reason in found)


def test_best_performers_first_then_longest_unseen_then_lowest_id() -> None:
    poor = green(1, score=2.0, last_seen=NOW - 400 * DAY)
    star = green(2, score=40.0)
    unseen = green(3, score=2.0, last_seen=NOW - 500 * DAY)
    twin = green(4, score=2.0, last_seen=NOW - 500 * DAY)
    recent_star = green(5, score=99.0, last_seen=NOW - DAY)  # not due
    news = green(6, "news", score=50.0)
    pool = [poor, star, unseen, twin, recent_star, news]
    assert best(pool, NOW, RULES, "resource") == star
    assert best([poor, unseen, twin], NOW, RULES) == unseen
    assert best(pool, NOW, RULES) == news  # any category
    assert best([recent_star], NOW, RULES) is None


def test_recycle_and_reminder_keys_are_derived_and_distinct() -> None:
    assert recycle_key(7, "x", 1) == recycle_key(7, "x", 1)
    keys = {
        recycle_key(7, "x", 1),
        recycle_key(7, "x", 2),
        recycle_key(7, "y", 1),
        recycle_key(8, "x", 1),
        reminder_key(7, DAY, "x"),
        reminder_key(7, 7 * DAY, "x"),
    }
    assert len(keys) == 6 and all(k.startswith("xs-") and len(k) <= 100 for k in keys)


# -- event reminders ---------------------------------------------------------------------------

EVENT_AT = NOW + 10 * DAY
OFFSETS = (7 * DAY, DAY)


def event(**fields: object) -> Event:
    values: dict[str, object] = {
        "item_id": 9,
        "channel": "c",
        "event_at": EVENT_AT,
        "published_at": NOW - 20 * DAY,
        "category": "event",
    } | fields
    return Event(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("now", "fields", "due"),
    [
        (EVENT_AT - 8 * DAY, {}, None),  # too early
        (EVENT_AT - 7 * DAY, {}, 7 * DAY),
        (EVENT_AT - 2 * DAY, {}, 7 * DAY),  # still the 7-day one, until the 1-day one is due
        (EVENT_AT - 2 * DAY, {"made": frozenset({7 * DAY})}, None),
        (EVENT_AT - DAY, {"made": frozenset({7 * DAY})}, DAY),
        (EVENT_AT - DAY, {}, DAY),  # added late: only the nearest reminder, not both
        (EVENT_AT - DAY, {"made": frozenset({DAY})}, None),
        (EVENT_AT, {}, None),  # nothing about an event once it has begun
        (EVENT_AT - 2 * DAY, {"published_at": None}, None),  # never before the event's own post
        (EVENT_AT - 2 * DAY, {"published_at": EVENT_AT - 3 * DAY}, None),  # post is newer
        (EVENT_AT - DAY, {"published_at": EVENT_AT - 3 * DAY}, DAY),
    ],
)
def test_which_reminder_is_due(now: object, fields: dict[str, object], due: object) -> None:
    assert reminder_due(event(**fields), now, OFFSETS) == due  # type: ignore[arg-type]


def test_offsets_are_described_as_durations() -> None:
    assert [describe_offset(o) for o in (7 * DAY, timedelta(hours=36), timedelta(minutes=90))] == [
        "7d",
        "1d12h",
        "1h30m",
    ]


# -- the order a slot looks in -----------------------------------------------------------------

MIX = Mix.of({"news": 0.5, "resource": 0.3, "event": 0.2})
FULL = Rules(mix=MIX, recycle=RULES, reminders=OFFSETS)


def choose(snapshot: Snapshot, rules: Rules = FULL, at: object = NOW) -> Choice | None:
    return pick(Forecast(snapshot).supply(at), rules, at)  # type: ignore[arg-type]


def snap(*candidates: object, **fields: object) -> Snapshot:
    return Snapshot("c", tuple(candidates), **fields)  # type: ignore[arg-type]


def test_a_pinned_item_whose_time_has_come_goes_first() -> None:
    pinned = cand(1, "news", publish_at=NOW - timedelta(minutes=5))
    later = cand(2, "announcement", publish_at=NOW + timedelta(minutes=5))
    announcement = cand(3, "announcement")
    choice = choose(snap(pinned, later, announcement))
    assert choice is not None and (choice.reason, choice.item_id) == ("pinned", 1)
    # Pinned to later: not taken before its time, by any step.
    choice = choose(snap(later, cand(4, "news")))
    assert choice is not None and choice.item_id == 4


def test_announcements_go_ahead_of_reminders_and_the_mix() -> None:
    reminder = cand(1, "event", reminder_of=9, expires_at=EVENT_AT)
    pool = snap(reminder, cand(2, "resource", priority=9), cand(3, "announcement", priority=-5))
    choice = choose(pool)
    assert choice is not None and (choice.reason, choice.item_id) == ("announcement", 3)


def test_a_reminder_goes_ahead_of_the_mix_made_or_to_make() -> None:
    made = cand(1, "event", reminder_of=9, expires_at=EVENT_AT)
    choice = choose(snap(made, cand(2, "news")))
    assert choice is not None and (choice.reason, choice.item_id) == ("reminder", 1)
    to_make = snap(cand(2, "news"), events=(event(),))
    choice = choose(to_make, at=EVENT_AT - 2 * DAY)
    assert choice is not None and choice.reminder is not None
    assert choice.reason == "reminder (7d before the event)" and choice.item_id == 9
    assert choose(to_make, Rules(mix=MIX), at=EVENT_AT - 2 * DAY).candidate is not None  # type: ignore[union-attr]


def test_the_mix_asks_for_the_category_furthest_behind() -> None:
    pool = snap(
        cand(1, "news", priority=5),
        cand(2, "resource"),
        posts=((NOW - DAY, "news"), (NOW - 2 * DAY, "news"), (NOW - 20 * DAY, "resource")),
    )
    choice = choose(pool)
    # In the 14-day window: news 2 of 2 posts (100% of 50%), resource 0 (0% of 30%).
    assert choice is not None and (choice.reason, choice.item_id) == (
        "category due (resource 0% of 30%)",
        2,
    )


def test_a_due_category_without_fresh_items_takes_its_evergreen_or_the_next_category() -> None:
    posts = ((NOW - DAY, "news"),)
    pool = snap(cand(1, "news"), evergreens=(green(5, "resource"),), posts=posts)
    choice = choose(pool)
    assert choice is not None and choice.recycle is not None
    assert choice.reason == "evergreen: category due (resource 0% of 30%)"
    # Without recycling, the slot asks for the next category: event (none), then news.
    choice = choose(pool, Rules(mix=MIX))
    assert choice is not None and choice.reason == "category due (news 100% of 50%)"


def test_categories_outside_the_mix_only_when_the_mix_has_nothing() -> None:
    website = cand(1, "website", priority=9)
    choice = choose(snap(website, cand(2, "news")))
    assert choice is not None and choice.item_id == 2
    choice = choose(snap(website, cand(3, "news", not_before=NOW + DAY)))
    assert choice is not None and (choice.reason, choice.item_id) == (
        "priority (not in the mix)",
        1,
    )


def test_without_a_mix_the_best_item_of_any_category() -> None:
    rules = Rules(recycle=RULES)
    choice = choose(snap(cand(1, "news"), cand(2, "resource", priority=1)), rules)
    assert choice is not None and (choice.reason, choice.item_id) == ("priority", 2)


def test_an_evergreen_item_fills_a_slot_that_would_be_empty() -> None:
    pool = snap(cand(1, "news", item_state="draft"), evergreens=(green(5, "website"),))
    choice = choose(pool)
    assert choice is not None and (choice.reason, choice.item_id) == ("evergreen fill", 5)
    assert choose(pool, Rules(mix=MIX)) is None  # fill_with_evergreen = false
    assert choose(snap()) is None


def test_the_forecast_takes_each_choice_so_the_next_slot_sees_what_is_left() -> None:
    forecast = Forecast(
        snap(
            cand(1, "news"),
            cand(2, "news"),
            cand(3, "resource"),
            evergreens=(green(5, "event"),),
            events=(event(item_id=1, published_at=None),),
        )
    )
    taken = []
    for hour in range(6):
        at = NOW + timedelta(hours=hour)
        choice = pick(forecast.supply(at), FULL, at)
        if choice is None:
            taken.append(None)
            continue
        forecast.take(choice, at)
        taken.append((choice.item_id, choice.reason.split(" (")[0]))
    assert taken == [
        (1, "category due"),  # news first (largest share)
        (3, "category due"),  # resource is behind now
        (5, "evergreen: category due"),  # event is behind, and only an evergreen is left
        (2, "category due"),
        None,  # the evergreen was just seen: not again for 60 days
        None,
    ]
    assert forecast.events[0].published_at == NOW  # the event's own post, taken at 09:00
