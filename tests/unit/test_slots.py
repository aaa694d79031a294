"""Slot times: local times across DST, days of week, seconds cron, catch-up window, jitter."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import islice

import pytest

from tests.daemon.conftest import make_channel
from xensocial.slots import jittered, next_slot, previous_slot, slot_times


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


AMS = {"timezone": "Europe/Amsterdam"}


@pytest.mark.parametrize(
    "day,expected_utc",
    [
        ((2026, 3, 28), utc(2026, 3, 28, 8, 30)),  # winter time, UTC+1
        ((2026, 3, 29), utc(2026, 3, 29, 7, 30)),  # spring forward at 02:00: UTC+2 by 09:30
        ((2026, 3, 30), utc(2026, 3, 30, 7, 30)),
        ((2026, 10, 24), utc(2026, 10, 24, 7, 30)),  # summer time, UTC+2
        ((2026, 10, 25), utc(2026, 10, 25, 8, 30)),  # fall back at 03:00: UTC+1 by 09:30
        ((2026, 10, 26), utc(2026, 10, 26, 8, 30)),
    ],
)
def test_0930_amsterdam_on_and_around_both_2026_transitions(day, expected_utc):
    channel = make_channel(slots=(time(9, 30),), **AMS)
    start = datetime(*day, tzinfo=UTC) - timedelta(hours=3)
    assert next(slot_times(channel, start)) == expected_utc
    local = expected_utc.astimezone(channel.zone)
    assert (local.hour, local.minute) == (9, 30)


def test_a_nonexistent_local_time_fires_once_an_hour_later():
    channel = make_channel(slots=(time(2, 30),), **AMS)
    fired = list(islice(slot_times(channel, utc(2026, 3, 28, 12)), 3))
    # 28 March 02:30 was yesterday; 29 March 02:30 does not exist: 03:30 CEST = 01:30 UTC.
    assert fired == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)]
    local = fired[0].astimezone(channel.zone)
    assert (local.hour, local.minute) == (3, 30)


def test_a_repeated_local_time_fires_once_at_its_first_occurrence():
    channel = make_channel(slots=(time(2, 30),), **AMS)
    fired = list(islice(slot_times(channel, utc(2026, 10, 24, 12)), 2))
    # 02:30 happens twice on 25 October (CEST then CET); only the first, 00:30 UTC, fires.
    assert fired == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_days_of_week_in_the_channels_zone():
    # 2026-03-06 is a Friday; Mon-Fri only, so Friday's slot is followed by Monday's.
    channel = make_channel(slots=(time(9, 30), time(15, 0)), days=frozenset(range(5)), **AMS)
    fired = list(islice(slot_times(channel, utc(2026, 3, 6, 10)), 3))
    assert fired == [utc(2026, 3, 6, 14), utc(2026, 3, 9, 8, 30), utc(2026, 3, 9, 14)]


def test_days_of_week_use_the_local_day_not_the_utc_day():
    # 00:30 in Tokyo on a Monday is still Sunday in UTC.
    channel = make_channel(slots=(time(0, 30),), days=frozenset({0}), timezone="Asia/Tokyo")
    first = next(slot_times(channel, utc(2026, 3, 1)))
    assert first == utc(2026, 3, 1, 15, 30)  # Monday 2 March 00:30 JST
    assert first.weekday() == 6


def test_seconds_cron():
    channel = make_channel(slots=(), cron="*/10 * * * * *")
    assert next_slot(channel, utc(2026, 3, 2, 9, 0, 3)) == utc(2026, 3, 2, 9, 0, 10)
    assert next_slot(channel, utc(2026, 3, 2, 9, 0, 10)) == utc(2026, 3, 2, 9, 0, 20)
    weekly = make_channel(slots=(), cron="0 30 9 * * mon", **AMS)
    assert next_slot(weekly, utc(2026, 3, 25)) == utc(2026, 3, 30, 7, 30)  # CEST by then


def test_previous_slot_within_the_grace_period_only():
    channel = make_channel(slots=(time(9, 30),))
    hour = timedelta(hours=1)
    assert previous_slot(channel, utc(2026, 3, 2, 10), hour) == utc(2026, 3, 2, 9, 30)
    assert previous_slot(channel, utc(2026, 3, 2, 9, 30), hour) == utc(2026, 3, 2, 9, 30)
    assert previous_slot(channel, utc(2026, 3, 2, 11), hour) is None
    assert previous_slot(channel, utc(2026, 3, 2, 9, 29), timedelta(days=2)) == utc(
        2026, 3, 1, 9, 30
    )


def test_previous_slot_is_only_the_latest_missed_one():
    channel = make_channel(slots=(), cron="0 * * * * *")  # every minute
    assert previous_slot(channel, utc(2026, 3, 2, 10, 0, 30), timedelta(hours=1)) == utc(
        2026, 3, 2, 10, 0
    )


def test_jitter_is_stable_bounded_and_spread():
    channel = make_channel(jitter=timedelta(minutes=10))
    slots = [utc(2026, 3, d, 9, 30) for d in range(1, 21)]
    delays = [jittered(channel, s) - s for s in slots]
    assert delays == [jittered(channel, s) - s for s in slots]  # every replica agrees
    assert all(timedelta(0) <= d <= timedelta(minutes=10) for d in delays)
    assert len(set(delays)) > 10
    assert jittered(make_channel(), slots[0]) == slots[0]  # no jitter configured
