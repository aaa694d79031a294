"""`channels list/pause/resume` and `schedule`: what each channel will do, at fixed times.

The fake clock is Monday 2026-03-02 09:00 UTC (10:00 in Amsterdam); channel `demo` posts at
09:30 and 15:00 Amsterdam time (08:30 and 14:00 UTC), at most once a day; `fast` every 10 s.
"""

from __future__ import annotations

from datetime import UTC, datetime

from content_queue import Ledger, make_engine
from tests.choosing import claim
from tests.cli.conftest import CliHarness


def _ledger(cli: CliHarness) -> Ledger:
    return Ledger(make_engine(f"sqlite:///{cli.db}"), clock=cli.clock)


def _publish(cli: CliHarness, item_id: int, channel: str, at: datetime) -> None:
    """Publish a delivery through the ledger, as the daemon would."""
    ledger = _ledger(cli)
    delivery = next(
        d for d in cli.json("queue", "show", str(item_id))["deliveries"] if d["channel"] == channel
    )
    assert claim(ledger, delivery["id"], "test", at, channel=channel, now=at) is not None
    ledger.mark_published(delivery["id"], remote_id="r1", remote_url=None, published_at=at)


def test_channels_list(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--title", "A", "--channel", "demo")
    cli.ok("queue", "add", "https://example.org/b", "--title", "B")
    _publish(cli, 2, "fast", datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    demo, fast = cli.json("channels", "list")
    assert demo == {
        "name": "demo",
        "network": "outbox",
        "enabled": True,
        "schedule": "09:30, 15:00 (Europe/Amsterdam; every day; max 1/day)",
        "timezone": "Europe/Amsterdam",
        "paused": False,
        "pause_reason": None,
        "paused_by": None,
        "paused_at": None,
        "pending": 2,
        "last_post": None,
        "next_slot": "2026-03-02T14:00:00+00:00",
        "warnings": [],
    }
    assert fast["pending"] == 0 and fast["last_post"] == "2026-03-02T08:00:00+00:00"
    assert fast["next_slot"] == "2026-03-02T09:00:10+00:00"
    table = cli.ok("channels", "list").stdout.splitlines()
    assert table[0].split()[:5] == ["NAME", "NETWORK", "STATE", "PENDING", "LAST"]
    assert "2026-03-02 15:00 CET" in table[1] and "active" in table[1]
    assert "2026-03-02 09:00 CET" in table[2]  # fast's last post, in its zone


def test_pause_and_resume(cli: CliHarness) -> None:
    assert (
        cli.ok("channels", "pause", "demo", "--reason", "holiday").stdout
        == "Paused demo: holiday\n"
    )
    assert "already paused" in cli.ok("channels", "pause", "demo", "--reason", "still").stdout
    demo, fast = cli.json("channels", "list")
    assert (demo["paused"], demo["pause_reason"], demo["paused_by"]) == (True, "still", "tester")
    assert "paused (still)" in cli.ok("channels", "list").stdout
    assert cli.ok("channels", "resume", "demo").stdout == "Resumed demo.\n"
    assert cli.ok("channels", "resume", "demo").stdout == "demo was not paused; nothing changed.\n"
    assert cli.ok("channels", "pause", "--all").stdout.splitlines() == [
        "Paused demo: paused by tester",
        "Paused fast: paused by tester",
    ]
    assert all(c["paused"] for c in cli.json("channels", "list"))
    cli.ok("channels", "resume", "--all")
    assert not any(c["paused"] for c in cli.json("channels", "list"))


def test_pause_refuses_bad_input(cli: CliHarness) -> None:
    assert "channels: demo, fast" in cli.refused("channels", "pause", "nope").stderr
    assert "not both" in cli.refused("channels", "pause").stderr
    assert "not both" in cli.refused("channels", "pause", "demo", "--all").stderr
    cli.refused("channels", "resume", "nope")


def _slots(cli: CliHarness, *args: str) -> list[tuple[str, int | None, str | None]]:
    (plan,) = cli.json("schedule", "--channel", "demo", *args)
    return [(s["at"], s["item"]["id"] if s["item"] else None, s["skipped"]) for s in plan["slots"]]


def test_schedule_takes_items_in_order_and_respects_embargo_and_cap(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--title", "A")
    cli.ok("queue", "add", "https://example.org/d", "--title", "D")
    cli.ok(
        "queue",
        "add",
        "https://example.org/b",
        "--title",
        "B",
        "--priority",
        "5",
        "--not-before",
        "2026-03-03 12:00",
    )
    cli.ok("queue", "add", "https://example.org/draft", "--draft")
    assert _slots(cli, "--days", "2") == [
        ("2026-03-02T14:00:00+00:00", 1, None),
        ("2026-03-03T08:30:00+00:00", 2, None),  # b is embargoed until 11:00 UTC
        (
            "2026-03-03T14:00:00+00:00",
            None,
            "daily cap: 1 of max 1 already published on 2026-03-03 (Europe/Amsterdam)",
        ),
        ("2026-03-04T08:30:00+00:00", 3, None),
    ]
    (plan,) = cli.json("schedule", "--channel", "demo", "--days", "1")
    assert plan["slots"][0]["local"] == "2026-03-02T15:00:00+01:00"
    assert plan["slots"][0]["item"] == {
        "id": 1,
        "title": "A",
        "url": "https://example.org/a",
        "priority": 0,
        "images": 0,  # how many images it goes out with
    }


def test_schedule_counts_todays_posts_claims_and_pauses(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--title", "A")
    cli.ok("queue", "add", "https://example.org/b", "--title", "B")
    _publish(cli, 1, "demo", datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    assert _slots(cli, "--days", "1") == [
        (
            "2026-03-02T14:00:00+00:00",
            None,
            "daily cap: 1 of max 1 already published on 2026-03-02 (Europe/Amsterdam)",
        ),
        ("2026-03-03T08:30:00+00:00", 2, None),
    ]
    assert (
        _ledger(cli).claim_slot("demo", datetime(2026, 3, 3, 8, 30, tzinfo=UTC), "other")
        is not None
    )
    assert _slots(cli, "--days", "1")[1] == ("2026-03-03T08:30:00+00:00", None, "already used")
    cli.ok("channels", "pause", "demo", "--reason", "holiday")
    assert [s[2] for s in _slots(cli, "--days", "1")] == ["paused: holiday", "already used"]
    assert "PAUSED: holiday" in cli.ok("schedule", "--channel", "demo").stdout


def test_schedule_nothing_queued_and_cron_channels_are_capped(cli: CliHarness) -> None:
    demo, fast = cli.json("schedule", "--days", "1")
    assert [s["skipped"] for s in demo["slots"]] == ["nothing queued", "nothing queued"]
    assert len(fast["slots"]) == 50 and fast["truncated"] is True
    assert fast["slots"][1]["at"] == "2026-03-02T09:00:10+00:00"


def test_schedule_text(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/a", "--title", "Hello")
    text = cli.ok("schedule", "--days", "1").stdout
    assert "demo (outbox): 09:30, 15:00 (Europe/Amsterdam; every day; max 1/day)" in text
    assert "2026-03-02 15:00 CET  item 1: Hello" in text
    assert "(only the first 50 slots are shown)" in text


def test_schedule_refuses_bad_input(cli: CliHarness) -> None:
    assert "channels: demo, fast" in cli.refused("schedule", "--channel", "nope").stderr
    cli.refused("schedule", "--days", "0")
    cli.refused("schedule", "--days", "soon")
