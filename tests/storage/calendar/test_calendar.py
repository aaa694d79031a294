"""The calendar (`xensocial.calendar`) of a week the real publisher lived through, on SQLite and
PostgreSQL: posts that went out (with their record, remote id and link), slots skipped by a
daily cap, a minimum gap, a person's pause, the network's pause and a blackout, a slot that
failed, one the daemon never ran, and the coming slots the forecast plans, with the channel and
category filters and a week across a change to summer time.

The clock is moved, never slept on: each slot is run by `Publisher.run_slot` at its time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from content_queue import Ledger
from tests.conftest import FakeClock
from tests.daemon.conftest import make_channel
from tests.storage.editorial.rig import EditorialRig
from xensocial.calendar import (
    MAX_SLOTS,
    NOT_RUN,
    Calendar,
    CalendarSlot,
    SlotKind,
    build_calendar,
    month_span,
    post_link,
    week_span,
)
from xensocial.errors import UsageError
from xensocial.forecast import plan_configured

from .conftest import MONDAY, UTC_ZONE, at


def calendar(rig: EditorialRig, **filters: Any) -> Calendar:
    ledger = Ledger(rig.engine, rig.clock)
    return build_calendar(rig.settings, ledger, week_span(MONDAY, UTC_ZONE), rig.clock(), **filters)


def by_slot(cal: Calendar) -> dict[tuple[str, datetime], CalendarSlot]:
    out = {(s.channel, s.at): s for s in cal.slots()}
    assert len(out) == sum(len(d.slots) for d in cal.days), "a slot is shown twice"
    return out


def test_a_lived_week(week: EditorialRig) -> None:
    cal = calendar(week)
    assert [d.day for d in cal.days] == [MONDAY + timedelta(days=n) for n in range(7)]
    for day in cal.days:
        assert all(s.local.date() == day.day for s in day.slots)
        assert [s.at for s in day.slots] == sorted(s.at for s in day.slots)
    slots = by_slot(cal)

    posted = slots["a", at(0, 9)]
    assert posted.kind is SlotKind.PUBLISHED and posted.reason is None
    assert posted.title == "news 1" and posted.category == "news"
    assert posted.remote_id == "fake-1"
    assert posted.post_link == "https://social.example/post/fake-1"
    assert posted.published_at == at(0, 9)
    assert posted.url.startswith("https://example.org/news-1/")
    assert posted.text is not None and "news 1" in posted.text
    b_posted = slots["b", at(0, 10)]
    assert b_posted.kind is SlotKind.PUBLISHED and b_posted.remote_id == "fake-1"
    assert b_posted.post_link is None  # the network gave no address

    def reason(channel: str, when: datetime, kind: SlotKind) -> str:
        slot = slots[channel, when]
        assert slot.kind is kind, slot
        assert slot.reason is not None
        return slot.reason

    assert reason("b", at(0, 12), SlotKind.SKIPPED).startswith("min_gap: last post at")
    assert reason("a", at(0, 15), SlotKind.SKIPPED).startswith("daily cap: 1 of max 1")
    assert reason("a", at(1, 9), SlotKind.SKIPPED) == "paused: launch review"
    assert "token revoked" in reason("b", at(1, 10), SlotKind.SKIPPED)
    assert slots["a", at(1, 15)].kind is SlotKind.PUBLISHED
    assert reason("a", at(2, 9), SlotKind.SKIPPED) == "blackout: election day"
    failed = slots["a", at(2, 15)]
    assert "503 from the network" in reason("a", at(2, 15), SlotKind.FAILED)
    assert failed.item_id is not None and failed.remote_id is None and failed.post_link is None
    assert reason("a", at(3, 9), SlotKind.NOT_RUN) == NOT_RUN
    # b, paused since Tuesday 10:00 by the network, was not run since either: no record.
    assert reason("b", at(2, 10), SlotKind.NOT_RUN) == NOT_RUN

    coming = [s for s in cal.slots() if s.coming]
    assert coming and all(s.at >= week.clock() for s in coming)
    assert {s.kind for s in coming if s.channel == "b"} == {SlotKind.HELD}
    assert all("token revoked" in (s.reason or "") for s in coming if s.channel == "b")
    planned = [s for s in coming if s.channel == "a" and s.kind is SlotKind.PLANNED]
    assert planned[0].at == at(3, 15) and planned[0].item_id is not None
    assert planned[0].reason == "priority" and planned[0].title.startswith("news")
    assert any((s.reason or "").startswith("daily cap") for s in coming if s.channel == "a"), (
        "the forecast plays the daily cap forward"
    )
    assert cal.truncated == ()


def test_the_coming_slots_are_the_forecast_of_schedule(week: EditorialRig) -> None:
    cal = calendar(week)
    now = week.clock()
    ledger = Ledger(week.engine, week.clock)
    plans = plan_configured(
        week.settings, ledger, week.channels, now, cal.span.end, max_slots=MAX_SLOTS
    )
    forecast = [
        (p.channel.name, s.at, s.item.item_id if s.item else None, s.reason or s.skipped)
        for p in plans
        for s in p.slots
    ]
    shown = [(s.channel, s.at, s.item_id, s.reason) for s in cal.slots() if s.coming]
    assert sorted(shown) == sorted(forecast)


def test_filters_by_channel_and_category(week: EditorialRig) -> None:
    only_a = calendar(week, channels=["a"])
    assert only_a.channels == ("a",)
    assert {s.channel for s in only_a.slots()} == {"a"}
    everything = by_slot(calendar(week))
    assert by_slot(only_a) == {k: v for k, v in everything.items() if k[0] == "a"}

    news = calendar(week, categories=["news"])
    assert news.categories == frozenset({"news"})
    assert news.slots() and all(s.category == "news" for s in news.slots())
    assert {k for k, s in everything.items() if s.category == "news"} == set(by_slot(news))
    assert not list(calendar(week, categories=["video"]).slots())
    with pytest.raises(UsageError, match="no channel named 'nope'"):
        calendar(week, channels=["nope"])


def test_a_week_across_the_change_to_summer_time(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    """Amsterdam moves to summer time on Sunday 29 March 2026 at 02:00: its 09:00 slot is 08:00
    UTC all week and 07:00 UTC that Sunday, and the week is an hour short."""
    zone = ZoneInfo("Europe/Amsterdam")
    channel = make_channel("ams", timezone="Europe/Amsterdam", slots=(time(9),))
    rig = EditorialRig(engine, clock, tmp_path, [channel])
    clock.set(datetime(2026, 3, 22, 12, tzinfo=UTC))
    for n in range(10):
        rig.add(f"item {n}", category="news")
    span = week_span(date(2026, 3, 26), zone)
    assert (span.first_day, span.last_day) == (date(2026, 3, 23), date(2026, 3, 29))
    assert span.end - span.start == timedelta(days=7, hours=-1)
    cal = build_calendar(rig.settings, Ledger(engine, clock), span, clock())
    for day in cal.days:
        [slot] = day.slots
        assert slot.local.date() == day.day and slot.local.time() == time(9)
        assert slot.kind is SlotKind.PLANNED
    assert [s.at.hour for s in cal.slots()] == [8] * 6 + [7]
    # The same week seen from UTC: the same slots, on the same days (09:00 is past midnight).
    in_utc = build_calendar(
        rig.settings, Ledger(engine, clock), week_span(date(2026, 3, 26), UTC_ZONE), clock()
    )
    assert [s.at for s in in_utc.slots()] == [s.at for s in cal.slots()]


def test_month_spans() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    march = month_span(2026, 3, zone)
    assert (march.first_day, march.last_day) == (date(2026, 3, 1), date(2026, 3, 31))
    assert march.start == datetime(2026, 2, 28, 23, tzinfo=UTC)
    assert march.end == datetime(2026, 3, 31, 22, tzinfo=UTC)
    december = month_span(2026, 12, zone)
    assert (december.last_day, len(december.days())) == (date(2026, 12, 31), 31)


def test_only_a_web_address_is_a_link() -> None:
    assert post_link("https://x.com/i/web/status/1") == "https://x.com/i/web/status/1"
    assert post_link("HTTP://mastodon.example/@us/2") == "HTTP://mastodon.example/@us/2"
    for url in (None, "", "file:///var/lib/xensocial/outbox.jsonl#k", "javascript:alert(1)"):
        assert post_link(url) is None
