"""`queue add --reply`: a thread's parts are checked against each target channel at add time,
stored in order, and shown by `queue show` (docs/threads.md). Bad input is exit 2, one line,
nothing stored (`CliHarness.refused` compares the whole database before and after)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock

# Braces are doubled: write_config formats this text.
CONFIG = """\
database_url = "sqlite:///{db}"
data_dir = "{data}"
timezone = "Europe/Amsterdam"
auto_migrate = {auto_migrate}

[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30"]
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "x-news"
network = "x"
slots = ["09:30"]
[channels.secrets]
consumer_key = "env:XS_TEST_X_CONSUMER_KEY"
consumer_secret = "env:XS_TEST_X_CONSUMER_SECRET"
access_token = "env:XS_TEST_X_ACCESS_TOKEN"
access_token_secret = "env:XS_TEST_X_ACCESS_TOKEN_SECRET"

[[channels]]
name = "sky"
network = "bluesky"
slots = ["09:30"]
[channels.options]
handle = "xen.example"
[channels.secrets]
app_password = "env:XS_TEST_BSKY_PASSWORD"
"""

URL = "https://xenproject.org/blog/2026/xen-4-21-released"


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    harness = CliHarness(write_config(tmp_path, text=CONFIG), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def add(cli: CliHarness, *args: str) -> tuple[str, ...]:
    return ("queue", "add", URL, "--title", "Xen 4.21 is out", *args)


def test_replies_are_stored_in_order_and_shown(cli: CliHarness) -> None:
    item = cli.json(*add(cli, "--reply", "What changed: a lot.", "--reply", "How to upgrade."))
    shown = cli.json("queue", "show", str(item["id"]))
    assert shown["replies"] == ["What changed: a lot.", "How to upgrade."]
    assert all(d["parts"] == [] for d in shown["deliveries"])  # nothing out yet
    text = cli.ok("queue", "show", str(item["id"])).stdout
    assert "Thread: the post and 2 replies" in text
    assert "  1. What changed: a lot." in text and "  2. How to upgrade." in text


def test_an_item_without_replies_shows_no_thread(cli: CliHarness) -> None:
    item = cli.json(*add(cli))
    assert "replies" not in cli.json("queue", "show", str(item["id"]))
    assert "Thread" not in cli.ok("queue", "show", str(item["id"])).stdout


def test_a_reply_too_long_for_a_channel_is_refused_naming_channel_part_and_count(
    cli: CliHarness,
) -> None:
    result = cli.refused(*add(cli, "--reply", "fine", "--reply", "x" * 281))
    assert result.stderr.strip() == (
        "error: too long for channel 'x-news' (x): reply 2 counts 281 weighted characters, over 280"
    )
    # 300 graphemes fit Bluesky and X's 280 only on the channels that allow them.
    cli.refused(*add(cli, "--channel", "sky", "--reply", "é" * 301))
    cli.ok(*add(cli, "--channel", "sky", "--channel", "demo", "--reply", "é" * 300))


def test_too_many_replies_are_refused(cli: CliHarness) -> None:
    replies = [arg for n in range(11) for arg in ("--reply", f"part {n}")]
    result = cli.refused(*add(cli, *replies))
    assert result.stderr.strip() == "error: replies: 11 replies, at most 10"
    cli.ok(*add(cli, *replies[:20]))  # ten is the limit, not past it


@pytest.mark.parametrize("empty", ["", "   ", "\u202e"])
def test_an_empty_reply_is_refused(cli: CliHarness, empty: str) -> None:
    result = cli.refused(*add(cli, "--reply", "first", "--reply", empty))
    assert result.stderr.strip() == "error: reply 2: must not be empty"


def test_a_reply_with_a_nul_is_refused(cli: CliHarness) -> None:
    result = cli.refused(*add(cli, "--reply", "bad\x00byte"))
    assert "reply 1" in result.stderr and "NUL" in result.stderr


def test_preview_shows_each_reply_with_its_own_length_against_each_channel(
    cli: CliHarness,
) -> None:
    item = cli.json(*add(cli, "--reply", "Two: 🎉 done", "--reply", "Three"))
    [x] = cli.json("preview", str(item["id"]), "--channel", "x-news")
    assert x["replies"] == [
        {"text": "Two: 🎉 done", "length": 12, "limit": 280},  # X weighs the emoji 2
        {"text": "Three", "length": 5, "limit": 280},
    ]
    [sky] = cli.json("preview", str(item["id"]), "--channel", "sky")
    assert [r["length"] for r in sky["replies"]] == [11, 5]  # graphemes
    text = cli.ok("preview", str(item["id"]), "--channel", "x-news").stdout
    assert "── reply 1 of 2" in text and "Length: 12 of 280 weighted" in text


def test_schedule_marks_an_item_with_a_thread(cli: CliHarness) -> None:
    threaded = cli.json(*add(cli, "--channel", "demo", "--reply", "Two", "--reply", "Three"))
    plain = cli.json("queue", "add", URL + "/2", "--title", "Plain", "--channel", "demo")
    out = cli.ok("schedule", "--channel", "demo", "--days", "2").stdout
    assert f"item {threaded['id']}: Xen 4.21 is out [thread: 3 parts]" in out
    [plan] = cli.json("schedule", "--channel", "demo", "--days", "2")
    parts = {s["item"]["id"]: s["item"]["thread_parts"] for s in plan["slots"] if s["item"]}
    assert parts == {threaded["id"]: 3, plain["id"]: 1}


def test_a_csv_column_of_replies_as_a_json_list(cli: CliHarness, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "url,title,channels,replies\n"
        f'{URL},Xen 4.21,demo,"[""Two, with a comma; and a semicolon"", ""Three""]"\n'
        f"{URL}/plain,Plain,demo,\n",
        encoding="utf-8",
    )
    cli.ok("queue", "import", str(path))
    [plain, threaded] = cli.json("queue", "list")
    assert cli.json("queue", "show", str(threaded["id"]))["replies"] == [
        "Two, with a comma; and a semicolon",
        "Three",
    ]
    assert "replies" not in cli.json("queue", "show", str(plain["id"]))


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ('"Two; Three"', "replies: expected a JSON list of texts"),
        ('"[1, 2]"', "replies: expected a JSON list of texts"),
        ('"[""""]"', "reply 1: must not be empty"),
        ('"[""' + "x" * 281 + '""]"', "reply 1 counts 281 weighted characters, over 280"),
    ],
)
def test_a_bad_replies_cell_refuses_the_import(
    cli: CliHarness, tmp_path: Path, cell: str, why: str
) -> None:
    path = tmp_path / "items.csv"
    path.write_text(f"url,title,channels,replies\n{URL},T,x-news,{cell}\n", encoding="utf-8")
    result = cli.refused("queue", "import", str(path))
    assert why in result.stderr


def test_queue_edit_replaces_and_removes_replies_before_the_item_is_out(cli: CliHarness) -> None:
    item = cli.json(*add(cli, "--channel", "demo", "--reply", "Old two"))
    ident = str(item["id"])
    out = cli.ok("queue", "edit", ident, "--reply", "New two", "--reply", "New three").stdout
    assert out.startswith(f"Changed replies of item {ident}")
    assert cli.json("queue", "show", ident)["replies"] == ["New two", "New three"]
    again = cli.ok("queue", "edit", ident, "--reply", "New two", "--reply", "New three")
    assert "already has these values" in again.stdout + again.stderr
    cli.ok("queue", "edit", ident, "--no-replies", "--title", "Renamed")
    shown = cli.json("queue", "show", ident)
    assert "replies" not in shown and shown["title"] == "Renamed"
    log = cli.ok("log", "--item", ident).stdout
    assert "replies: 1 -> 2" in log and "replies: 2 -> 0" in log


def test_queue_edit_refuses_replies_too_long_for_a_channel_or_empty(cli: CliHarness) -> None:
    ident = str(cli.json(*add(cli))["id"])
    result = cli.refused("queue", "edit", ident, "--reply", "y" * 281)
    assert "channel 'x-news' (x): reply 1 counts 281" in result.stderr
    cli.refused("queue", "edit", ident, "--reply", " ")
    cli.refused("queue", "edit", ident, "--reply", "a", "--no-replies")


def test_queue_edit_refuses_new_replies_once_the_item_is_out(
    cli: CliHarness, tmp_path: Path
) -> None:
    ident = str(cli.json(*add(cli, "--channel", "demo", "--reply", "Two"))["id"])
    db = tmp_path / "data" / "queue.db"
    with sqlite3.connect(db) as conn:  # as the daemon leaves it once the post is out
        conn.execute("UPDATE deliveries SET state = 'published' WHERE item_id = ?", (ident,))
    result = cli.refused("queue", "edit", ident, "--reply", "Changed")
    assert "is already out on demo" in result.stderr and "replies cannot change" in result.stderr


def test_link_in_reply_needs_a_reply_and_moves_the_link_in_preview(cli: CliHarness) -> None:
    result = cli.refused(*add(cli, "--link-in-reply"))
    assert "link_in_reply: needs a reply to carry the link" in result.stderr
    item = cli.json(*add(cli, "--channel", "x-news", "--link-in-reply", "--reply", "Read it:"))
    assert item["link_in_reply"] is True
    [x] = cli.json("preview", str(item["id"]))
    assert URL not in x["text"] and x["link_in_reply"] is True
    [reply] = x["replies"]
    assert reply["text"] == f"Read it:\n\n{URL}"
    assert reply["length"] == len("Read it:\n\n") + 23  # X counts the link as 23
    # The link makes the first reply too long where the reply alone fits.
    other = ("queue", "add", URL + "/other", "--title", "T", "--channel", "x-news")
    cli.ok(*other, "--reply", "y" * 260)
    third = ("queue", "add", URL + "/third", "--title", "U", "--channel", "x-news")
    long = cli.refused(*third, "--link-in-reply", "--reply", "y" * 260)
    assert "reply 1 counts 285 weighted characters, over 280" in long.stderr
    cli.refused("queue", "edit", str(item["id"]), "--no-replies")


def test_a_csv_column_puts_the_link_in_the_first_reply(cli: CliHarness, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        f'url,title,channels,replies,link_in_reply\n{URL},T,x-news,"[""Read:""]",yes\n',
        encoding="utf-8",
    )
    cli.ok("queue", "import", str(path))
    [item] = cli.json("queue", "list")
    assert item["link_in_reply"] is True
    bad = tmp_path / "bad.csv"
    bad.write_text(f"url,title,channels,link_in_reply\n{URL}/2,T,demo,maybe\n", encoding="utf-8")
    assert (
        "link_in_reply: 'maybe' is not yes or no" in cli.refused("queue", "import", str(bad)).stderr
    )
    bad.write_text(f"url,title,channels,link_in_reply\n{URL}/2,T,demo,yes\n", encoding="utf-8")
    assert "needs a reply to carry the link" in cli.refused("queue", "import", str(bad)).stderr
