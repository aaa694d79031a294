"""The daemon's start-up decisions that need no subprocess: which slot each channel starts with."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from content_queue import Ledger
from xensocial.daemon import first_slot

from .conftest import make_channel


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_missed_slot_within_the_grace_period_runs_now(engine):
    channel = make_channel(slots=(time(9, 30), time(15, 0)), catch_up_grace=timedelta(hours=1))
    now = utc(2026, 3, 2, 10, 0)
    assert first_slot(Ledger(engine), channel, now) == (utc(2026, 3, 2, 9, 30), now, True)


def test_a_missed_slot_already_claimed_is_not_run_again(engine):
    channel = make_channel(slots=(time(9, 30), time(15, 0)), catch_up_grace=timedelta(hours=1))
    Ledger(engine).claim_slot("demo", utc(2026, 3, 2, 9, 30), "host-a")
    now = utc(2026, 3, 2, 10, 0)
    assert first_slot(Ledger(engine), channel, now) == (
        utc(2026, 3, 2, 15, 0),
        utc(2026, 3, 2, 15, 0),
        False,
    )


def test_no_catch_up_outside_the_grace_period_and_only_the_latest_slot(engine):
    # Every minute, down for an hour, 10 minutes of grace: only 10:59, never a flood.
    channel = make_channel(slots=(), cron="0 * * * * *", catch_up_grace=timedelta(minutes=10))
    now = utc(2026, 3, 2, 10, 59, 30)
    assert first_slot(Ledger(engine), channel, now) == (utc(2026, 3, 2, 10, 59), now, True)
    daily = make_channel(slots=(time(9, 30),), catch_up_grace=timedelta(hours=1))
    later = utc(2026, 3, 2, 11, 0)
    assert first_slot(Ledger(engine), daily, later)[0] == utc(2026, 3, 3, 9, 30)


def test_the_next_slot_runs_at_its_jittered_time(engine):
    channel = make_channel(slots=(time(9, 30),), jitter=timedelta(minutes=5))
    slot_at, run_at, catch_up = first_slot(Ledger(engine), channel, utc(2026, 3, 2, 8, 0))
    assert slot_at == utc(2026, 3, 2, 9, 30) and not catch_up
    assert slot_at <= run_at <= slot_at + timedelta(minutes=5)
