"""The editorial commands as staff use them: `blackout`, `log`, `--as`, `queue approve` (several,
from a feed), `queue list --state draft`, `queue edit --channel`, `channels pause --all` and the
blackout and pause rows of `schedule`. Bad input is exit 2 with one error line, and changes
nothing in the database (`CliHarness.refused` compares a dump before and after).

The fake clock is Monday 2026-03-02 09:00 UTC (10:00 in Amsterdam, the configuration's zone);
`demo` posts at 09:30 and 15:00 Amsterdam time, once a day; `fast` every 10 s.
"""

from __future__ import annotations

import json

import pytest

from content_queue import Ledger, make_engine
from content_queue.sources import EntryData, FeedSpec, FeedStore
from tests.cli.conftest import CliHarness


def _ledger(cli: CliHarness) -> Ledger:
    return Ledger(make_engine(f"sqlite:///{cli.db}"), clock=cli.clock)


def _add(cli: CliHarness, url: str, *args: str) -> int:
    """Add `url` with a title unless one is given (an item without words is only a draft)."""
    words = () if "--title" in args else ("--title", "Title")
    return int(cli.json("queue", "add", url, *words, *args)["id"])


def _log(cli: CliHarness, *args: str) -> list[dict[str, object]]:
    return list(reversed(cli.json("log", *args)))  # oldest first


# -- blackouts ------------------------------------------------------------------------------


def test_blackout_add_list_remove(cli: CliHarness) -> None:
    out = cli.ok(
        "blackout", "add", "--from", "2026-12-24", "--to", "2026-12-26", "--reason", "Christmas"
    ).stdout
    assert out == (
        "Added blackout 1: nothing is posted on any channel from 2026-12-24 00:00 CET "
        "to 2026-12-27 00:00 CET (Christmas).\n"
    )
    [launch] = cli.json(
        "blackout", "add", "--from", "+1h", "--to", "+3h", "--channel", "fast", "--reason", "Launch"
    )
    assert launch["channel"] == "fast" and launch["from"] == "2026-03-02T10:00:00+00:00"
    listed = cli.json("blackout", "list")
    assert [(b["id"], b["channels"], b["state"], b["created_by"]) for b in listed] == [
        (2, ["fast"], "coming", "tester"),
        (1, [], "coming", "tester"),
    ]
    table = cli.ok("blackout", "list").stdout
    assert "2026-12-24 00:00 CET" in table and "Christmas" in table and "all" in table
    assert cli.ok("blackout", "remove", "2").stdout == "Removed blackout 2 (Launch).\n"
    assert [b["id"] for b in cli.json("blackout", "list")] == [1]


def test_blackout_list_shows_configured_ones_and_hides_those_over(cli: CliHarness) -> None:
    text = cli.config.read_text(encoding="utf-8")
    # Before the first table: a [[blackouts]] array of tables at the top level.
    cli.config.write_text(
        text.replace(
            "[[channels]]",
            '[[blackouts]]\nfrom = 2026-03-01\nto = 2026-03-01\nreason = "over"\n\n'
            "[[blackouts]]\nfrom = 2026-03-02T09:00:00\nto = 2026-03-02T16:00:00\n"
            'channels = ["demo"]\nreason = "Release embargo"\n\n[[channels]]',
            1,
        ),
        encoding="utf-8",
    )
    [now] = cli.json("blackout", "list")
    assert now["source"] == "configuration (blackouts[1])" and now["state"] == "now"
    assert len(cli.json("blackout", "list", "--all")) == 2
    assert "config" in cli.ok("blackout", "list").stdout
    (plan,) = cli.json("schedule", "--channel", "demo", "--days", "1")
    assert plan["slots"][0]["skipped"] == "blackout: Release embargo"  # 15:00 Amsterdam
    assert plan["slots"][1]["skipped"] == "nothing queued"  # 09:30 the next day
    rows = cli.ok("blackout", "list", "--all").stdout.splitlines()[1:]
    assert [row.split()[0] for row in rows] == ["config", "config"]
    assert rows[1].endswith("configuration (blackouts[1])")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "tomorrow", "--to", "+2h"), "--from: 'tomorrow' is not a date/time"),
        (("--from", "2026-03-05", "--to", "2026-13-01"), "--to: '2026-13-01' is not a date/time"),
        (("--from", "2026-03-05 12:00", "--to", "2026-03-05 11:00"), "must be later than --from"),
        (("--from", "2026-03-01", "--to", "2026-03-01 12:00"), "before now: nothing to black out"),
        (("--from", "+1h", "--to", "+2h", "--channel", "nope"), "no channel named 'nope'"),
        (("--from", "+1h", "--to", "+2h", "--reason", "  "), "--reason: say why"),
        (("--from", "+1h", "--to", "+2h", "--reason", "x" * 1001), "at most 1000"),
        (("--from", "+1h", "--to", "+2h"), "Missing option '--reason'"),
    ],
)
def test_blackout_add_refuses_bad_input(
    cli: CliHarness, args: tuple[str, ...], message: str
) -> None:
    if "--reason" not in args and message != "Missing option '--reason'":
        args = (*args, "--reason", "why")
    result = cli.refused("blackout", "add", *args)
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_blackout_remove_refuses_an_unknown_id(cli: CliHarness) -> None:
    cli.ok("blackout", "add", "--from", "+1h", "--to", "+2h", "--reason", "x")
    assert "no blackout with id 7" in cli.refused("blackout", "remove", "7").stderr
    assert "no blackout with id 0" in cli.refused("blackout", "remove", "0").stderr
    assert "is not a blackout id" in cli.refused("blackout", "remove", "one").stderr


# -- the stop button and the schedule ---------------------------------------------------------


def test_pause_all_shows_in_the_schedule_and_the_log(cli: CliHarness) -> None:
    result = cli.ok("--as", "comms lead", "channels", "pause", "--all", "--reason", "crisis")
    assert result.stdout == "Paused demo: crisis\nPaused fast: crisis\n"
    assert "until `xensocial channels resume --all`" in result.stderr
    plans = cli.json("schedule", "--days", "1")
    assert {s["skipped"] for p in plans for s in p["slots"]} == {"paused: crisis"}
    cli.ok("blackout", "add", "--from", "+1h", "--to", "+30d", "--reason", "quiet period")
    cli.ok("channels", "resume", "--all")
    (plan,) = cli.json("schedule", "--channel", "demo", "--days", "1")
    assert [s["skipped"] for s in plan["slots"]] == ["blackout: quiet period"] * 2
    assert [(e["action"], e["actor"], e["channel"]) for e in _log(cli)] == [
        ("pause", "comms lead", "demo"),
        ("pause", "comms lead", "fast"),
        ("blackout-add", "tester", None),
        ("resume", "tester", "demo"),
        ("resume", "tester", "fast"),
    ]


# -- approvals --------------------------------------------------------------------------------


def test_approve_several_at_once_and_all_or_nothing(cli: CliHarness) -> None:
    a = _add(cli, "https://example.org/a", "--draft")
    b = _add(cli, "https://example.org/b", "--draft")
    result = cli.refused("queue", "approve", str(a), "98", str(b), "99")
    assert "no item with id 98, 99; nothing was approved" in result.stderr
    out = cli.ok("--as", "editor", "queue", "approve", str(a), str(b)).stdout.splitlines()
    assert out[0].startswith(f"Approved item {a}: ") and out[1].startswith(f"Approved item {b}: ")
    assert (
        cli.ok("queue", "approve", str(a)).stdout
        == f"Item {a} was already approved; nothing changed.\n"
    )
    approvals = [e for e in _log(cli) if e["action"] == "approve"]
    assert [(e["item_id"], e["actor"]) for e in approvals] == [(a, "editor"), (b, "editor")]
    assert "nothing was cancelled" in cli.refused("queue", "cancel", str(a), "97").stderr


def test_approve_all_from_a_feed_and_the_drafts_list_says_where_they_came_from(
    cli: CliHarness,
) -> None:
    feeds = FeedStore(make_engine(f"sqlite:///{cli.db}"), cli.clock)
    feed = feeds.add(FeedSpec(name="xen-blog", url="https://example.org/feed.xml", initial=5))
    entries = [
        EntryData(
            key=f"id:{n}",
            url=f"https://example.org/post/{n}",
            title=f"Post {n}",
            text="",
            content_hash=str(n),
        )
        for n in (1, 2)
    ]
    added = feeds.record_poll(
        feed.id, entries, channels=["demo", "fast"], etag=None, last_modified=None
    ).added
    mine = _add(cli, "https://example.org/mine", "--draft")
    drafts = cli.ok("queue", "list", "--state", "draft").stdout.splitlines()
    assert drafts[0].split()[-1] == "FROM"
    assert [line.split()[-1] for line in drafts[1:]] == ["tester", "feed:xen-blog", "feed:xen-blog"]
    out = cli.ok("queue", "approve", "--all-from-feed", "xen-blog").stdout
    assert out.endswith("Approved 2 draft item(s) from feed xen-blog.\n")
    states = {i["id"]: i["state"] for i in cli.json("queue", "list")}
    assert states == {added[0]: "approved", added[1]: "approved", mine: "draft"}
    again = cli.ok("queue", "approve", "--all-from-feed", "xen-blog").stdout
    assert again == "Feed xen-blog has no draft items waiting for approval.\n"
    assert (
        "no feed named 'nope'" in cli.refused("queue", "approve", "--all-from-feed", "nope").stderr
    )
    both = cli.refused("queue", "approve", str(mine), "--all-from-feed", "xen-blog")
    assert "not both" in both.stderr
    assert "not both" in cli.refused("queue", "approve").stderr


# -- a channel's own text ---------------------------------------------------------------------


def test_edit_a_channels_own_text_preview_shows_it_and_clear_removes_it(cli: CliHarness) -> None:
    item = _add(cli, "https://example.org/own", "--title", "Release", "--text", "Item text")
    out = cli.ok("queue", "edit", str(item), "--channel", "fast", "--text", "Fast words").stdout
    assert out == f"Item {item} on fast now has its own text: 35 of 5000 characters\n"
    demo, fast = cli.json("preview", str(item))
    assert demo["text"] == "Item text\n\nhttps://example.org/own" and not demo["own_text"]
    assert fast["text"] == "Fast words\n\nhttps://example.org/own" and fast["own_text"]
    assert fast["length"] == 35  # 10 + 2 line breaks + 23 for the link
    assert "this channel's own text" in cli.ok("preview", str(item), "--channel", "fast").stdout
    cleared = cli.ok("queue", "edit", str(item), "--channel", "fast", "--clear-text").stdout
    assert cleared == f"Item {item} on fast uses the item's own text again.\n"
    assert cli.json("preview", str(item), "--channel", "fast")[0]["text"].startswith("Item text")
    edits = [e["detail"] for e in _log(cli, "--item", str(item)) if e["action"] == "edit"]
    assert edits == ["own text for fast: 'Fast words'", "own text for fast: cleared"]


def test_an_own_text_too_long_is_refused_naming_the_limit_and_the_count(cli: CliHarness) -> None:
    item = _add(cli, "https://example.org/long")
    result = cli.refused("queue", "edit", str(item), "--channel", "demo", "--text", "x" * 4990)
    assert "the text for channel 'demo' (outbox) is too long" in result.stderr
    assert "it counts 5016, over the limit of 5000" in result.stderr  # 4990 + 2 + the URL's 24


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--clear-text",), "--clear-text needs --channel NAME"),
        (("--channel", "demo"), "give --text '...' or --clear-text"),
        (("--channel", "demo", "--text", "a", "--clear-text"), "give --text '...' or --clear-text"),
        (("--channel", "demo", "--text", "a", "--title", "b"), "change the other fields"),
        (("--channel", "nope", "--text", "a"), "no channel named 'nope'"),
        (("--channel", "fast", "--text", "a"), "is not for channel 'fast' (its channels: demo)"),
        (("--channel", "demo", "--text", "  "), "text: must not be empty"),
    ],
)
def test_edit_channel_text_refuses_bad_input(
    cli: CliHarness, args: tuple[str, ...], message: str
) -> None:
    item = _add(cli, "https://example.org/x", "--channel", "demo")
    assert message in cli.refused("queue", "edit", str(item), *args).stderr


def test_an_item_edit_checks_the_fit_against_a_channels_own_text(cli: CliHarness) -> None:
    item = _add(cli, "https://example.org/t", "--channel", "demo")
    cli.ok("queue", "edit", str(item), "--channel", "demo", "--text", "{title} " + "y" * 4960)
    cli.ok("queue", "edit", str(item), "--title", "a short title")  # the own text has no {title}
    assert cli.json("preview", str(item))[0]["text"].startswith("{title} yyy")


# -- the log ----------------------------------------------------------------------------------


def test_log_shows_who_did_what_in_the_configurations_zone(cli: CliHarness) -> None:
    item = _add(cli, "https://example.org/l", "--draft")
    cli.clock.advance(hours=2)
    cli.ok("--as", "Jane Doe", "queue", "edit", str(item), "--priority", "4")
    cli.ok("queue", "approve", str(item))
    cli.ok("channels", "pause", "demo", "--reason", "holiday")
    entries = cli.json("log")
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("pause", "tester"),
        ("approve", "tester"),
        ("edit", "Jane Doe"),
        ("add", "tester"),
    ]
    assert entries[-1]["at"] == "2026-03-02T09:00:00+00:00"  # JSON: UTC
    table = cli.ok("log").stdout.splitlines()
    assert table[0].split() == ["WHEN", "WHO", "ACTION", "ITEM", "CHANNEL", "DETAIL"]
    assert table[-1].startswith("2026-03-02 10:00:00 CET  tester")  # people: local time
    assert "priority -> 4" in table[3]
    assert [e["action"] for e in cli.json("log", "--item", str(item))] == [
        "approve",
        "edit",
        "add",
    ]
    assert [e["action"] for e in cli.json("log", "--channel", "demo", "--since", "-1h")] == [
        "pause",
        "approve",
        "edit",
    ]
    assert len(cli.json("log", "--since", "2026-03-02 10:30")) == 3
    assert len(cli.json("log", "--limit", "1")) == 1
    assert json.loads(cli.ok("log", "--channel", "fast", "--since", "+1h", "--json").stdout) == []
    assert cli.ok("log", "--since", "+1h").stdout == "No entries.\n"


def test_retry_and_resolve_through_the_cli_are_logged(cli: CliHarness) -> None:
    from datetime import timedelta

    item = _add(cli, "https://example.org/r", "--channel", "demo")
    ledger = _ledger(cli)
    began = ledger.claim_next("demo", "daemon", cli.clock(), cli.clock() + timedelta(minutes=5))
    assert began is not None
    ledger.mark_unknown(began[0].id, "lost answer", owner="daemon")
    cli.ok(
        "--as",
        "ops",
        "queue",
        "resolve",
        str(item),
        "--channel",
        "demo",
        "--remote-url",
        "https://social.example/9",
    )
    entries = _log(cli, "--item", str(item))
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("add", "tester"),
        ("unknown", "daemon"),
        ("resolve", "ops"),
    ]
    # What it said is recorded as the daemon renders it (the title, then the link).
    assert entries[-1]["detail"] == (
        "recorded as published: https://social.example/9; posted: 'Title https://example.org/r'"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("log", "--item", "42"), "no item with id 42"),
        (("log", "--channel", "nope"), "no channel named 'nope'"),
        (("log", "--since", "last week"), "--since: 'last week' is not a date/time"),
        (("log", "--since", "-soon"), "--since: '-soon' is not a time"),
        (("log", "--limit", "0"), "--limit"),
        (("--as", "  ", "log"), "a name is needed"),
        (("--as", "x" * 101, "log"), "at most 100 printable characters"),
    ],
)
def test_log_and_as_refuse_bad_input(cli: CliHarness, args: tuple[str, ...], message: str) -> None:
    assert message in cli.refused(*args).stderr


def test_a_removed_channel_keeps_its_history(cli: CliHarness) -> None:
    cli.ok("channels", "pause", "fast", "--reason", "retiring it")
    text = cli.config.read_text(encoding="utf-8")
    start = text.index('[[channels]]\nname = "fast"')
    end = text.index("[intake]")
    cli.config.write_text(text[:start] + text[end:], encoding="utf-8")
    [entry] = cli.json("log", "--channel", "fast")
    assert entry["detail"] == "paused: retiring it"
