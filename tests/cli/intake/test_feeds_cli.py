"""`xensocial feeds add | list | remove | poll`, in-process through the real error handling, and
`feeds poll` on a real terminal (a pty) for its progress bar."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Reply
from tests.paths import FEEDS

DATA = FEEDS

WITH_FEEDS = (
    CONFIG
    + """
[intake]
allow_private_addresses = true
connect_timeout = "2s"
deadline = "5s"
file_feeds_dir = "."

[[feeds]]
name = "project-blog"
url = "file:{data}/../blog.xml"
auto_approve = true
"""
)


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    (tmp_path / "blog.xml").write_bytes((DATA / "wordpress-rss2.xml").read_bytes())
    harness = CliHarness(
        write_config(tmp_path, text=WITH_FEEDS), tmp_path / "data" / "queue.db", clock
    )
    harness.ok("db", "upgrade")
    return harness


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        yield s


def test_config_feeds_are_listed_with_cli_feeds(cli, tmp_path):
    (tmp_path / "rdf.xml").write_bytes((DATA / "rss1-rdf.xml").read_bytes())
    out = cli.ok(
        "feeds",
        "add",
        f"file:{tmp_path / 'rdf.xml'}",
        "--name",
        "lists",
        "--category",
        "Event",
        "--tag",
        "xen",
        "--channel",
        "fast",
        "--interval",
        "2h",
        "--include",
        "patch",
        "--exclude",
        "spam",
        "--initial",
        "2",
    ).stdout
    assert out == f"Added feed lists: {(tmp_path / 'rdf.xml').as_uri()} -> fast (drafts).\n"
    listed = {f["name"]: f for f in cli.json("feeds", "list")}
    assert set(listed) == {"project-blog", "lists"}
    assert listed["project-blog"]["managed_by"] == "config"
    assert listed["project-blog"]["auto_approve"] is True
    lists = listed["lists"]
    assert (lists["managed_by"], lists["category"], lists["tags"]) == ("cli", "event", ["xen"])
    assert (lists["channels"], lists["interval_seconds"], lists["initial"]) == (["fast"], 7200, 2)
    assert (lists["include"], lists["exclude"], lists["status"]) == (["patch"], ["spam"], "new")
    table = cli.ok("feeds", "list").stdout.splitlines()
    assert table[0].split() == [
        "NAME",
        "FROM",
        "STATUS",
        "LAST",
        "POLL",
        "SEEN",
        "LAST",
        "ERROR",
        "URL",
    ]
    assert table[1].split()[:3] == ["lists", "cli", "new"]


def test_add_refuses_bad_input_and_changes_nothing(cli):
    cli.ok("feeds", "list")  # the configuration's feed is synced by the first feeds command
    cli.refused("feeds", "add", "https://e.org/feed", "--channel", "nope")
    cli.refused("feeds", "add", "ftp://e.org/feed")
    cli.refused("feeds", "add", "https://e.org/feed", "--interval", "often")
    cli.refused("feeds", "add", "https://e.org/feed", "--name", "has space")
    assert (
        "already exists"
        in cli.refused("feeds", "add", "https://e.org/x", "--name", "project-blog").stderr
    )
    cli.ok("feeds", "add", "https://e.org/feed")
    assert "'e.org' already exists" in cli.refused("feeds", "add", "https://e.org/other").stderr


def test_remove(cli):
    cli.ok("feeds", "add", "https://e.org/feed", "--name", "mine")
    assert cli.ok("feeds", "remove", "mine").stdout.startswith("Removed feed mine")
    assert "no feed named 'mine'" in cli.refused("feeds", "remove", "mine").stderr
    refused = cli.refused("feeds", "remove", "project-blog")
    assert "is declared in" in refused.stderr and "[[feeds]]" in refused.stderr


def test_poll_queues_new_entries_then_waits_for_the_interval(cli, tmp_path):
    result = cli.ok("feeds", "poll")
    assert "project-blog: 1 queued, 0 updated, 3 new entries seen" in result.stdout
    items = cli.json("queue", "list")
    assert [(i["title"], i["state"], i["source"]) for i in items] == [
        ("Xen 4.20 released – what’s new", "approved", "feed")
    ]
    assert cli.ok("feeds", "poll").stdout == "No feed is due.\n"
    assert "not polled (not due yet)" in cli.ok("feeds", "poll", "project-blog").stdout
    assert cli.ok("feeds", "poll", "--now").stdout == "project-blog: not modified\n"
    [feed] = cli.json("feeds", "list")
    assert (feed["status"], feed["entries_seen"]) == ("ok", 3)
    assert feed["last_polled_at"] == cli.clock().isoformat()


def test_a_failing_poll_exits_1_and_the_list_shows_the_error(cli, server):
    server.route("GET", "/feed", lambda _r: Reply(503, b"down"))
    cli.ok("feeds", "add", f"{server.url}/feed", "--name", "flaky")
    result = cli.run("feeds", "poll", "flaky")
    assert result.exit_code == 1, result.stdout
    assert "flaky: error: HTTP 503" in result.stdout
    flaky = {f["name"]: f for f in cli.json("feeds", "list")}["flaky"]
    assert (flaky["status"], flaky["error_count"]) == ("error", 1)
    assert "HTTP 503" in flaky["last_error"] and flaky["next_poll_at"] is not None
    assert "not polled" in cli.ok("feeds", "poll", "flaky").stdout  # backing off


def test_a_gone_feed_is_shown_disabled_and_skipped(cli, server):
    server.route("GET", "/feed", lambda _r: Reply(410, b""))
    cli.ok("feeds", "add", f"{server.url}/feed", "--name", "old")
    assert "old: gone: HTTP 410" in cli.ok("feeds", "poll", "old").stdout
    assert "disabled (HTTP 410" in cli.ok("feeds", "list").stdout
    cli.ok("feeds", "poll", "--now")
    assert len(server.requests("GET", "/feed")) == 1  # --now of every feed skips a disabled one
    # Polled by name with --now, a feed that is back is enabled again.
    body = (DATA / "rss1-rdf.xml").read_bytes()
    server.route(
        "GET", "/feed", lambda _r: Reply(200, body, {"Content-Type": "application/rdf+xml"})
    )
    assert "old: 1 queued" in cli.ok("feeds", "poll", "old", "--now").stdout
    old = {f["name"]: f for f in cli.json("feeds", "list")}["old"]
    assert (old["status"], old["disabled_reason"]) == ("ok", None)


def test_poll_shows_a_progress_bar_on_a_terminal(tmp_path):
    config = write_config(tmp_path, text=WITH_FEEDS)
    (tmp_path / "blog.xml").write_bytes((DATA / "wordpress-rss2.xml").read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    env["COLUMNS"] = "100"
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "xensocial", "--config", str(config), "feeds", "poll"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
    )
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(30) == 0
    os.close(main)
    shown = b"".join(chunks).decode()
    assert "Polling feeds" in shown and "100%" in shown
    assert "project-blog: 1 queued" in shown
