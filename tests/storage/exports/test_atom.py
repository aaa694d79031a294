"""`xensocial export atom`: a valid Atom feed of what was published, newest first."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import feedparser
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem
from tests.choosing import claim
from tests.cli.conftest import CliHarness
from tests.conftest import FakeClock
from xensocial.reporting.atom import atom_feed, latest_posts

from .conftest import Seeded, utc


def parse(document: str | bytes) -> feedparser.FeedParserDict:
    feed = feedparser.parse(document)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    for entry in feed.entries:  # what every entry must have
        assert entry.id and entry.title and entry.updated and entry.link, entry
    return feed


def when(entry: feedparser.FeedParserDict, key: str) -> datetime:
    return datetime.fromisoformat(entry[key])


def test_every_channel_newest_first_with_each_posts_details(
    export_cli: tuple[CliHarness, Seeded],
) -> None:
    cli, seeded = export_cli
    feed = parse(cli.ok("export", "atom").stdout)
    assert [(e.title, e.tags[0].term) for e in feed.entries] == [
        ("Summit", "alpha"),
        ("Xen 4.20 is out", "beta"),
        ("Xen 4.20 is out", "alpha"),
        ("Xen 4.20 is out", "gamma"),  # no longer configured: its posts stay in the record
    ]
    summit, beta, alpha, _ = feed.entries
    assert alpha.id == f"tag:xensocial,2025:post/{seeded.keys['release', 'alpha']}"
    assert len({e.id for e in feed.entries}) == 4  # one id per post, not per item
    assert when(alpha, "published") == when(alpha, "updated") == utc(2026, 3, 1, 10)
    assert alpha.content[0].value == "What's new in 4.20"
    assert alpha.content[0].type == "text/plain"
    links = {link.rel: link.href for link in alpha.links}
    assert links == {
        "alternate": "https://example.org/release",
        "related": "https://social.example/alpha/1",
    }
    assert alpha.link == "https://example.org/release"
    # No remote URL, no text: only the item's link, and no content element.
    assert [link.rel for link in summit.links] == ["alternate"] and "content" not in summit
    assert when(feed.feed, "updated") == utc(2026, 3, 2, 8)  # the newest post, not "now"
    assert feed.feed.id == "tag:xensocial,2025:feed/all"
    assert beta.id != alpha.id


def test_one_channel_and_a_limit(export_cli: tuple[CliHarness, Seeded]) -> None:
    cli, _ = export_cli
    alpha = parse(cli.ok("export", "atom", "--channel", "alpha").stdout)
    assert [e.title for e in alpha.entries] == ["Summit", "Xen 4.20 is out"]
    assert {e.tags[0].term for e in alpha.entries} == {"alpha"}
    assert alpha.feed.title == "Posts published on alpha"
    assert alpha.feed.id == "tag:xensocial,2025:feed/channel/alpha"
    newest = parse(cli.ok("export", "atom", "--limit", "2").stdout)
    assert [(e.title, e.tags[0].term) for e in newest.entries] == [
        ("Summit", "alpha"),
        ("Xen 4.20 is out", "beta"),
    ]
    empty = parse(cli.ok("export", "atom", "--channel", "delta").stdout)
    assert empty.entries == [] and when(empty.feed, "updated") == cli.clock()


def test_out_writes_the_file_and_says_so(
    export_cli: tuple[CliHarness, Seeded], tmp_path: Path
) -> None:
    cli, _ = export_cli
    out = tmp_path / "posts.atom"
    result = cli.ok("export", "atom", "--channel", "beta", "--out", str(out))
    assert result.stdout == f"Wrote 1 post(s) to {out}.\n"
    assert [e.title for e in parse(out.read_bytes()).entries] == ["Xen 4.20 is out"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".posts")] == []


def test_bad_input_is_refused(export_cli: tuple[CliHarness, Seeded], tmp_path: Path) -> None:
    cli, _ = export_cli
    assert "no channel named 'nope'" in cli.refused("export", "atom", "--channel", "nope").stderr
    assert "--limit" in cli.refused("export", "atom", "--limit", "0").stderr
    missing = tmp_path / "no-such-folder" / "feed.atom"
    assert "does not exist" in cli.refused("export", "atom", "--out", str(missing)).stderr
    assert "is a folder" in cli.refused("export", "atom", "--out", str(tmp_path)).stderr


def test_text_xml_cannot_carry_is_dropped_not_fatal(engine: Engine, clock: FakeClock) -> None:
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    item = queue.add(
        NewItem(
            url="https://example.org/odd",
            channels=["alpha"],
            title="Bell\x07 and <tags> & ümlauts",
            text="form\x0cfeed",
        )
    )
    [delivery] = item.deliveries
    claim(ledger, delivery.id, "test", utc(2030, 1, 1), channel="alpha", now=clock())
    ledger.mark_published(delivery.id, remote_id="1", remote_url=None, published_at=clock())
    with engine.connect() as conn:
        posts = latest_posts(conn, channel=None, limit=50)
    feed = parse(atom_feed(posts, channel=None, now=clock()))
    [entry] = feed.entries
    assert (entry.title, entry.content[0].value) == ("Bell and <tags> & ümlauts", "formfeed")


def test_a_post_without_a_record_still_makes_an_entry(engine: Engine, clock: FakeClock) -> None:
    """A published delivery whose record holds no words or link (a row written by hand, or by
    a tool that skipped the record) is an entry titled by its channel, not a failed feed."""
    from sqlalchemy import update

    from content_queue.schema import Delivery

    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    item = queue.add(NewItem(url="https://example.org/bare", channels=["alpha"], title="Bare"))
    [delivery] = item.deliveries
    claim(ledger, delivery.id, "test", utc(2030, 1, 1), channel="alpha", now=clock())
    ledger.mark_published(delivery.id, remote_id="1", remote_url=None, published_at=clock())
    with engine.begin() as conn:
        conn.execute(update(Delivery).values(posted_title=None, posted_text=None, posted_url=None))
        posts = latest_posts(conn, channel=None, limit=50)
    feed = feedparser.parse(atom_feed(posts, channel=None, now=clock()))
    assert feed.bozo == 0, feed.get("bozo_exception")
    [entry] = feed.entries
    assert entry.title == entry.content[0].value == "A post on alpha", entry
    assert not entry.get("links"), entry
