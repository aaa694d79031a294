"""The editorial options of the CLI, through the commands (`CliHarness`): `queue add` and `queue
edit` with --evergreen, --alt-text, --at and --event-date, what `queue show` says of them, and
the reason `schedule` gives for each slot. Bad input is exit 2 with one line, and changes
nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content_queue import Ledger, make_engine
from tests.choosing import claim
from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock

CONFIG = """\
database_url = "sqlite:///{db}"
data_dir = "{data}"
timezone = "Europe/Amsterdam"
auto_migrate = {auto_migrate}

[editorial]
evergreen_categories = ["resource"]
recycle_after = "30d"
event_reminders = ["7d", "1d"]

[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30", "15:00"]
max_per_day = 2
mix = {{ news = 0.5, resource = 0.5 }}
[channels.options]
path = "outbox-demo.jsonl"

[[channels]]
name = "plain"
network = "outbox"
slots = ["11:00"]
timezone = "UTC"
[channels.options]
path = "outbox-plain.jsonl"
"""


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    """Monday 2026-03-02, 10:00 in Amsterdam; `demo` has a mix, `plain` has none."""
    harness = CliHarness(write_config(tmp_path, text=CONFIG), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def add(cli: CliHarness, url: str, *args: str) -> dict[str, Any]:
    return cli.json("queue", "add", f"https://example.org/{url}", "--title", url, *args)  # type: ignore[no-any-return]


def publish(cli: CliHarness, item_id: int, channel: str, at: datetime) -> None:
    ledger = Ledger(make_engine(f"sqlite:///{cli.db}"), clock=cli.clock)
    item = cli.json("queue", "show", str(item_id))
    [delivery] = [d for d in item["deliveries"] if d["channel"] == channel]
    assert claim(ledger, delivery["id"], "test", at, channel=channel, now=at) is not None
    ledger.mark_published(delivery["id"], remote_id="r", remote_url=None, published_at=at)


def slots(cli: CliHarness, channel: str = "demo", days: str = "2") -> list[tuple[Any, ...]]:
    (plan,) = cli.json("schedule", "--channel", channel, "--days", days)
    return [
        (s["local"][5:16], s["item"]["id"] if s["item"] else None, s["reason"] or s["skipped"])
        for s in plan["slots"]
    ]


# -- queue add ---------------------------------------------------------------------------------


def test_add_with_every_editorial_option(cli: CliHarness) -> None:
    result = cli.ok(
        "queue",
        "add",
        "https://example.org/summit",
        "--title",
        "Xen Summit",
        "--event-date",
        "2026-03-20 18:00",
        "--at",
        "2026-03-03 12:15",
        "--evergreen",
        "--alt-text",
        "The summit, again",
    )
    assert result.stdout.splitlines()[1:] == [
        "Pinned: posted at 2026-03-03 12:15 CET on each of its channels.",
        "Event on 2026-03-20 18:00 CET: reminders 7d and 1d before it; nothing about it after.",
        "Evergreen: posted again 30d after it goes out, at most 3 time(s) per channel, "
        "in its alternate text.",
    ]
    item = cli.json("queue", "show", "1")
    assert (item["category"], item["evergreen"], item["alt_text"]) == (
        "event",  # the default category of an event
        True,
        "The summit, again",
    )
    assert item["publish_at"] == "2026-03-03T11:15:00+00:00"
    assert item["event_at"] == item["expires_at"] == "2026-03-20T17:00:00+00:00"
    shown = cli.ok("queue", "show", "1").stdout
    for line in (
        "Evergreen:  yes",
        "Alt text:   The summit, again",
        "Pinned at:  2026-03-03 12:15 CET",
        "Event:      2026-03-20 18:00 CET",
    ):
        assert line in shown


def test_evergreen_categories_are_the_default(cli: CliHarness) -> None:
    assert add(cli, "guide", "--category", "resource")["evergreen"] is True
    assert add(cli, "other", "--category", "resource", "--no-evergreen")["evergreen"] is False
    assert add(cli, "news")["evergreen"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--at", "2026-03-02 09:59"), "--at: 2026-03-02 09:59 CET is in the past"),
        (("--at", "tomorrow"), "--at: 'tomorrow' is not a date/time"),
        (
            ("--at", "2026-03-03 09:00", "--not-before", "2026-03-04"),
            "--at 2026-03-03 09:00 CET is before --not-before 2026-03-04 00:00 CET: an embargo is "
            "never broken",
        ),
        (("--at", "2026-03-09", "--event-date", "2026-03-08"), "--at must be before --event-date"),
        (("--at", "+2d", "--expires", "+1d"), "--at must be before --expires"),
        (("--event-date", "2026-03-01"), "--event-date: 2026-03-01 00:00 CET is in the past"),
        (("--event-date", "+1d", "--expires", "+2d"), "--expires must not be after --event-date"),
        (("--alt-text", " "), "--alt-text: give the words"),
        (("--alt-text", "x" * 10_001), "alt_text: 10001 characters, at most 10000"),
    ],
)
def test_add_refuses_contradicting_times(
    cli: CliHarness, args: tuple[str, ...], message: str
) -> None:
    result = cli.refused("queue", "add", "https://example.org/x", "--title", "X", *args)
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


# -- queue edit --------------------------------------------------------------------------------


def test_edit_the_editorial_fields(cli: CliHarness) -> None:
    add(cli, "x")
    changed = cli.json("queue", "edit", "1", "--evergreen", "--alt-text", "Again", "--at", "+3h")
    assert (changed["evergreen"], changed["alt_text"]) == (True, "Again")
    assert changed["publish_at"] == "2026-03-02T12:00:00+00:00"
    result = cli.ok("queue", "edit", "1", "--no-evergreen", "--alt-text", "", "--at", "none")
    assert result.stdout.startswith("Changed alt_text, evergreen, publish_at of item 1:")
    item = cli.json("queue", "show", "1")
    assert (item["evergreen"], item["alt_text"], item["publish_at"]) == (False, None, None)
    moved = cli.json("queue", "edit", "1", "--event-date", "2026-03-10")
    assert moved["event_at"] == moved["expires_at"] == "2026-03-09T23:00:00+00:00"


def test_edit_refuses_what_would_break_the_embargo(cli: CliHarness) -> None:
    add(cli, "x", "--not-before", "2026-03-05")
    result = cli.refused("queue", "edit", "1", "--at", "2026-03-04 12:00")
    assert "an embargo is never broken" in result.stderr
    assert "--at: " in cli.refused("queue", "edit", "1", "--at", "2026-03-01").stderr
    result = cli.refused("queue", "edit", "1", "--channel", "demo", "--text", "x", "--evergreen")
    assert "--channel changes only that channel's text" in result.stderr
    result = cli.refused("queue", "edit", "1")
    assert "--evergreen/--no-evergreen, --alt-text, --at, --event-date" in result.stderr


# -- schedule: the reason of each slot -----------------------------------------------------------


def test_schedule_says_why_each_slot_takes_what_it_takes(cli: CliHarness) -> None:
    news = [add(cli, f"news-{n}")["id"] for n in range(3)]
    guide = add(cli, "guide", "--category", "resource")["id"]
    launch = add(cli, "launch", "--category", "announcement")["id"]
    assert slots(cli) == [
        ("03-02T15:00", launch, "announcement"),
        ("03-03T09:30", news[0], "category due (news 0% of 50%)"),
        ("03-03T15:00", guide, "category due (resource 0% of 50%)"),
        ("03-04T09:30", news[1], "category due (news 50% of 50%)"),
    ]
    assert slots(cli, "plain", "3") == [  # no mix: priority, then age
        ("03-02T11:00", launch, "announcement"),
        ("03-03T11:00", news[0], "priority"),
        ("03-04T11:00", news[1], "priority"),
    ]
    text = cli.ok("schedule", "--channel", "demo", "--days", "1").stdout
    assert text.splitlines()[1:] == [
        "  WHEN                  WOULD POST      WHY",
        "  2026-03-02 15:00 CET  item 5: launch  announcement",
        "  2026-03-03 09:30 CET  item 1: news-0  category due (news 0% of 50%)",
    ]


def test_schedule_shows_pinned_times_as_rows_of_their_own(cli: CliHarness) -> None:
    add(cli, "news")
    pinned = add(cli, "pinned", "--at", "2026-03-02 13:07", "--channel", "demo")["id"]
    (plan,) = cli.json("schedule", "--channel", "demo", "--days", "1")
    first = plan["slots"][0]
    assert (first["local"], first["item"]["id"], first["reason"], first["pinned"]) == (
        "2026-03-02T13:07:00+01:00",
        pinned,
        "pinned",
        True,
    )
    assert plan["slots"][1]["pinned"] is False and plan["slots"][1]["item"]["id"] == 1


def test_schedule_forecasts_evergreen_fill_and_reminders(cli: CliHarness, clock: FakeClock) -> None:
    guide = add(cli, "guide", "--category", "resource", "--channel", "plain")["id"]
    publish(cli, guide, "plain", datetime(2026, 1, 5, 11, 0, tzinfo=UTC))
    summit = add(cli, "summit", "--event-date", "2026-03-05 18:00", "--channel", "plain")["id"]
    publish(cli, summit, "plain", datetime(2026, 2, 20, 11, 0, tzinfo=UTC))
    assert slots(cli, "plain", "4") == [
        ("03-02T11:00", summit, "reminder (7d before the event)"),
        ("03-03T11:00", guide, "evergreen fill"),
        ("03-04T11:00", None, "nothing queued"),
        ("03-05T11:00", summit, "reminder (1d before the event)"),
    ]


_WHEN = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["+2h", "-2h", "+0s", "2026-03-02", "2026-03-03 25:00", "none", "9999-12-31"]),
    st.datetimes().map(lambda d: d.isoformat(" ")),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=_WHEN, option=st.sampled_from(["--at", "--event-date"]))
def test_any_time_typed_is_taken_or_refused_in_one_line(
    cli: CliHarness, value: str, option: str
) -> None:
    before = cli.dump()
    result = cli.run("queue", "add", "https://example.org/t", "--title", "T", option, value)
    if result.exit_code == 0:
        item = cli.json("queue", "show", result.stdout.split()[2].rstrip(":"))
        field = "publish_at" if option == "--at" else "event_at"
        assert item[field] > "2026-03-02T09:00:00+00:00"  # accepted: in the future
        cli.ok("queue", "cancel", str(item["id"]))  # so the next example may add the URL again
    else:
        assert result.exit_code == 2, (result.exit_code, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert cli.dump() == before
