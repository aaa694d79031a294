"""The calendar's coming slots (`xensocial.calendar`, what the web console shows) are what
`xensocial schedule --json` prints, slot for slot: the same item and the same reason, on a
queue built through the CLI with priorities, categories, pinned times, embargoes, a blackout
and a pause, at several moments of a week and over generated queues."""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

import pytest

from content_queue import Ledger, make_engine
from xensocial.calendar import build_calendar, week_span
from xensocial.config.load import load_settings
from xensocial.forecast import MAX_SLOTS_PER_CHANNEL

from .conftest import CliHarness


def _fill(cli: CliHarness, seed: int) -> None:
    rng = random.Random(seed)
    for n in range(14):
        args = ["queue", "add", f"https://example.org/{seed}/{n}", "--title", f"item {n}"]
        args += ["--category", rng.choice(["news", "event", "article"])]
        args += ["--priority", str(rng.choice([0, 0, 1, 3]))]
        roll = rng.random()
        if roll < 0.15:
            args += ["--at", f"+{rng.randint(2, 100)}h"]
        elif roll < 0.3:
            args += ["--not-before", f"+{rng.randint(1, 80)}h"]
        if rng.random() < 0.4:
            args += ["--channel", "demo"]
        cli.ok(*args)
    start = rng.randint(10, 60)
    cli.ok("blackout", "add", "--from", f"+{start}h", "--to", f"+{start + 8}h", "--reason", "quiet")
    if rng.random() < 0.5:
        cli.ok("channels", "pause", "fast", "--reason", "checking")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_calendar_forecasts_what_schedule_prints(cli: CliHarness, seed: int) -> None:
    _fill(cli, seed)
    settings = load_settings(cli.config)
    zone = ZoneInfo("Europe/Amsterdam")
    engine = make_engine(settings.database_url)
    try:
        for hours in (0, 29, 75):
            now = cli.clock.advance(hours=hours)
            span = week_span(now.astimezone(zone).date(), zone)
            days = (span.end - now).days + 1
            printed = cli.json("schedule", "--days", str(days))
            calendar = build_calendar(settings, Ledger(engine, cli.clock), span, now)
            for plan in printed:
                expected = [
                    (s["at"], s["item"]["id"] if s["item"] else None, s["reason"] or s["skipped"])
                    for s in plan["slots"]
                    if s["at"] < span.end.isoformat()
                ]
                shown = [
                    (s.at.isoformat(), s.item_id, s.reason)
                    for s in calendar.slots()
                    if s.coming and s.channel == plan["channel"]
                ]
                assert expected, plan["channel"]
                if plan["truncated"]:  # schedule shows the first 50, the calendar more
                    shown = shown[:MAX_SLOTS_PER_CHANNEL]
                    expected = expected[: len(shown)]
                assert shown == expected, plan["channel"]
    finally:
        engine.dispose()
