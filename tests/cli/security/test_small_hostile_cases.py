"""The smaller hostile cases of issue 15 ("Why" 10), each as the review reproduced it.

- `feeds add file:/etc/shadow`: refused unless the file is below `[intake] file_feeds_dir`,
  with the same words whether the file exists or not;
- the Atom feed of a post in the local outbox names the channel, not the outbox's path;
- an empty title and a bad category: one line, the error, and no page fetched;
- (`--tag $'\\xff'` is in test_inert_text.py, with the other invalid text.)
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem
from tests.choosing import claim
from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Reply
from xensocial.adapters.base import ChannelContext, Post
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.reporting.atom import atom_feed, latest_posts, public_post_link

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>
<item><title>One</title><link>https://example.org/1</link><guid>1</guid></item></channel></rss>"""


def _cli(tmp_path: Path, clock: FakeClock, intake: str = "") -> CliHarness:
    text = CONFIG + "\n[intake]\nfetch_link_details = false\n" + intake
    harness = CliHarness(write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


# -- feeds add file: ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/etc/shadow", "/no/such/file.xml"])
def test_without_file_feeds_dir_no_file_feed_is_added(
    tmp_path: Path, clock: FakeClock, target: str
) -> None:
    cli = _cli(tmp_path, clock)
    refused = cli.refused("feeds", "add", f"file:{target}")
    assert refused.stderr == (
        "error: file: feeds are not accepted from the command line; to allow them, set "
        "[intake] file_feeds_dir in the configuration to the directory that holds them\n"
    )
    assert cli.json("feeds", "list") == []


def test_file_feeds_only_below_the_configured_directory(tmp_path: Path, clock: FakeClock) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "local.xml").write_bytes(RSS)
    (feeds / "escape.xml").symlink_to("/etc/passwd")
    cli = _cli(tmp_path, clock, 'file_feeds_dir = "feeds"\n')
    cli.ok("feeds", "add", f"file:{feeds / 'local.xml'}", "--name", "local")
    outside = [
        "file:/etc/shadow",  # exists (or not: the same answer)
        "file:/no/such/file.xml",
        f"file:{feeds}/../xensocial.toml",  # `..` out of it
        f"file:{feeds / 'escape.xml'}",  # a symbolic link out of it
        f"file://{feeds}2/x.xml",  # a sibling whose name starts the same
    ]
    for url in outside:
        refused = cli.refused("feeds", "add", url)
        assert refused.stderr.startswith(
            f"error: a file: feed must be below [intake] file_feeds_dir ({feeds}); "
        ), refused.stderr
        assert refused.stderr.count("\n") == 1
    assert [f["name"] for f in cli.json("feeds", "list")] == ["local"]
    polled = cli.ok("feeds", "poll", "local")
    assert "local" in polled.stdout and cli.json("queue", "list")[0]["url"] == (
        "https://example.org/1"
    )


def test_file_feeds_dir_must_be_a_path(tmp_path: Path, clock: FakeClock) -> None:
    path = write_config(tmp_path, text=CONFIG + '\n[intake]\nfile_feeds_dir = ""\n')
    cli = CliHarness(path, tmp_path / "data" / "queue.db", clock)
    result = cli.run("feeds", "list")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: intake.file_feeds_dir: expected the path of a directory\n"
    )


# -- the Atom feed and the outbox --------------------------------------------------------


def test_the_atom_feed_names_an_outbox_post_by_channel_not_by_path(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    item = queue.add(NewItem(url="https://example.org/a", channels=["alpha"], title="A"))
    [delivery] = item.deliveries
    outbox = OutboxAdapter(
        ChannelContext(name="alpha", options={"path": "alpha.jsonl"}, data_dir=tmp_path)
    )
    key = delivery.idempotency_key
    result = outbox.publish(Post(key=key, channel="alpha", item_id=item.id, text="A", url=item.url))
    assert str(tmp_path) in (result.remote_url or "")  # what the outbox records, locally
    claim(ledger, delivery.id, "test", clock(), channel="alpha", now=clock())
    ledger.mark_published(
        delivery.id, remote_id=result.remote_id, remote_url=result.remote_url, published_at=clock()
    )
    with engine.connect() as conn:
        document = atom_feed(latest_posts(conn, channel=None, limit=50), channel=None, now=clock())
    assert str(tmp_path).encode() not in document and b"file:" not in document
    [entry] = feedparser.parse(document).entries
    assert {link.rel: link.href for link in entry.links}["related"] == f"outbox:alpha#{key}"


@pytest.mark.parametrize(
    ("remote", "shown"),
    [
        ("https://mastodon.example/@a/1", "https://mastodon.example/@a/1"),
        ("file:///srv/data/outbox.jsonl#xs-1", "outbox:demo#xs-1"),
        ("file:///srv/data/outbox.jsonl", "outbox:demo"),
        (None, None),
    ],
)
def test_public_post_link(remote: str | None, shown: str | None) -> None:
    assert public_post_link(remote, "demo") == shown


# -- an empty title and a bad category ---------------------------------------------------


def test_an_empty_title_and_a_bad_category_say_one_line_the_error(
    tmp_path: Path, clock: FakeClock
) -> None:
    """The page would have been read for a title; the refusal comes first, alone."""
    with FakeServer() as server:
        page = b"<html><head><title>Read</title></head></html>"
        server.route("GET", "/a", lambda r: Reply(200, page, {"Content-Type": "text/html"}))
        text = CONFIG + "\n[intake]\nallow_private_addresses = true\n"
        cli = CliHarness(write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock)
        cli.ok("db", "upgrade")
        for title in ([], ["--title", ""]):
            refused = cli.refused("queue", "add", f"{server.url}/a", *title, "--category", "bogus")
            assert refused.stderr.count("\n") == 1, refused.stderr
            assert refused.stderr.startswith("error: category: 'bogus' is not a known category")
            assert refused.stdout == ""
        rows = tmp_path / "rows.csv"
        rows.write_text(f"url,title,category\n{server.url}/b,,bogus\n", encoding="utf-8")
        refused = cli.refused("queue", "import", str(rows))
        assert "warning" not in refused.stderr and refused.stdout == ""
        assert server.log == []
