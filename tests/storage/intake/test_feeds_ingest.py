"""Polling feeds served over real HTTP into a real database (SQLite and PostgreSQL).

A local server (`tests/fakes/server.py`) serves the fixtures in `data/` with ETags, and 304s,
410s, redirects and errors on demand; `FeedPoller` fetches them through the real fetcher and
ingests them through the real queue. Nothing of ours is patched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine

from content_queue import ContentQueue
from content_queue.db import make_sessionmaker
from content_queue.schema import Delivery, Item
from content_queue.sources import FeedSpec, FeedStore
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Reply, Request
from tests.paths import FEEDS
from xensocial.intake.fetch import FetchLimits
from xensocial.intake.poller import FeedPoller, backoff_delay

DATA = FEEDS
OPEN = FetchLimits(allow_private_addresses=True, connect_timeout=2, read_timeout=2, deadline=5)
CHANNELS = ["demo", "fast"]

NEW_ENTRY = b"""<item>
		<title>Brand new post</title>
		<link>https://xenproject.example.org/2026/03/03/brand-new/</link>
		<pubDate>Tue, 03 Mar 2026 08:00:00 +0000</pubDate>
		<guid isPermaLink="false">https://xenproject.example.org/?p=4130</guid>
		<description>Fresh.</description>
	</item>
	<item>
		<title>Xen 4.20"""


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


class FeedSite:
    """Feeds served by a FakeServer, with an ETag per document and conditional GET."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.docs: dict[str, bytes] = {}

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    def publish(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        self.docs[path] = body

        def handler(request: Request) -> Reply:
            current = self.docs[path]
            etag = '"' + hashlib.sha256(current).hexdigest()[:16] + '"'
            if request.headers.get("if-none-match") == etag:
                return Reply(304, None, {"ETag": etag})
            return Reply(200, current, {"ETag": etag, "Content-Type": content_type})

        self.server.route("GET", path, handler)
        return self.url(path)

    def answer(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.server.route("GET", path, lambda _r: Reply(status, b"", headers or {}))

    def hits(self, path: str) -> list[Request]:
        return self.server.requests("GET", path)


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with FakeServer() as server:
        yield FeedSite(server)


class Harness:
    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.engine = engine
        self.clock = clock
        self.store = FeedStore(engine, clock=clock)
        self.queue = ContentQueue(engine, clock=clock)
        self.poller = FeedPoller(self.store, channels=CHANNELS, limits=OPEN, clock=clock)

    def add(self, name: str, url: str, **kwargs: Any) -> None:
        self.store.add(FeedSpec(name=name, url=url, **kwargs))

    def poll(self, name: str) -> Any:
        return self.poller.poll(self.store.get(name))

    def items(self) -> list[Any]:
        return self.queue.list_items(newest_first=False, limit=1000)

    def publish_everything(self) -> None:
        with make_sessionmaker(self.engine).begin() as s:
            s.execute(update(Delivery).values(state="published", published_at=self.clock()))


@pytest.fixture
def h(engine: Engine, clock: FakeClock) -> Harness:
    return Harness(engine, clock)


def test_first_poll_queues_only_the_newest_entry_then_each_new_one(h, site):
    url = site.publish("/blog/feed/", fixture("wordpress-rss2.xml"))
    h.add("blog", url, category="Release", tags=["xen"])
    outcome = h.poll("blog")
    assert outcome.status == "ok" and outcome.ingest.seen == 3
    [item] = h.items()
    assert item.url == "https://xenproject.example.org/2026/03/02/xen-4-20-released/"
    assert (item.title, item.state, item.source) == (
        "Xen 4.20 released – what’s new",
        "draft",
        "feed",
    )
    assert (item.category, list(item.tags)) == ("release", ["xen"])
    assert sorted(d.channel for d in item.deliveries) == CHANNELS
    assert h.store.get("blog").entries_seen == 3

    site.publish(
        "/blog/feed/",
        fixture("wordpress-rss2.xml").replace(b"<item>\n\t\t<title>Xen 4.20", NEW_ENTRY, 1),
    )
    h.clock.advance(minutes=30)
    outcome = h.poll("blog")
    assert outcome.ingest.seen == 1 and len(outcome.ingest.added) == 1
    assert [i.title for i in h.items()] == ["Xen 4.20 released – what’s new", "Brand new post"]
    assert h.store.get("blog").entries_seen == 4


def test_initial_sets_how_many_a_new_feed_queues(h, site):
    url = site.publish("/feed", fixture("wordpress-rss2.xml"))
    h.add("none", url, initial=0)
    h.poll("none")
    assert h.items() == []
    h.add("all", url.replace("/feed", "/feed?copy=1"), initial=10, auto_approve=True)
    h.poll("all")
    assert [i.state for i in h.items()] == ["approved"] * 3


def test_an_edited_entry_updates_its_item_until_published_and_never_posts_again(h, site):
    body = fixture("hugo-atom.xml")
    url = site.publish("/index.xml", body)
    h.add("docs", url)
    h.poll("docs")
    [item] = h.items()
    assert item.title == "Release notes 0.17"

    site.publish("/index.xml", body.replace(b"Release notes 0.17", b"Release notes 0.17 (fixed)"))
    outcome = h.poll("docs")
    assert outcome.ingest.updated == [item.id] and outcome.ingest.added == []
    [edited] = h.items()
    assert (edited.id, edited.title) == (item.id, "Release notes 0.17 (fixed)")
    assert len(edited.deliveries) == 2 and all(d.state == "pending" for d in edited.deliveries)

    h.publish_everything()
    site.publish("/index.xml", body.replace(b"Release notes 0.17", b"Release notes 0.17 (again)"))
    outcome = h.poll("docs")
    assert outcome.ingest.updated == [] and outcome.ingest.added == []
    [after] = h.items()
    assert after.title == "Release notes 0.17 (fixed)"  # what went out stays what it was
    assert all(d.state == "published" for d in after.deliveries)


def test_two_feeds_carrying_the_same_article_make_one_item(h, site):
    a = site.publish("/a.xml", fixture("wordpress-rss2.xml"))
    # Another feed, another guid, the same article behind a tracking parameter.
    other = fixture("duplicate-guids.xml").replace(
        b"https://sloppy.example.org/first",
        b"https://xenproject.example.org/2026/03/02/xen-4-20-released/?utm_source=planet",
    )
    b = site.publish("/b.xml", other)
    h.add("blog", a)
    h.add("planet", b)
    assert len(h.poll("blog").ingest.added) == 1
    outcome = h.poll("planet")
    [item] = h.items()
    assert outcome.ingest.added == [] and outcome.ingest.linked == [item.id]


def test_a_304_costs_no_parse_and_no_database_statement(h, site, monkeypatch):
    url = site.publish("/feed", fixture("wordpress-rss2.xml"))
    h.add("blog", url)
    h.poll("blog")
    feed = h.store.get("blog")  # what the daemon's job reads before polling
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        statements.append(sql)

    event.listen(h.engine, "before_cursor_execute", record)
    parses: list[object] = []
    real_parse = feedparser.parse
    monkeypatch.setattr(
        feedparser, "parse", lambda *a, **k: parses.append(a) or real_parse(*a, **k)
    )

    outcome = h.poller.poll(feed)

    assert outcome.status == "not_modified"
    assert site.hits("/feed")[-1].headers["if-none-match"] == feed.etag
    assert statements == [] and parses == []
    h.store.get("blog")  # the listener works: a read is seen
    event.remove(h.engine, "before_cursor_execute", record)
    assert any(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_a_410_disables_the_feed_and_says_so(h, site):
    site.answer("/gone", 410)
    h.add("old", site.url("/gone"))
    outcome = h.poll("old")
    assert outcome.status == "gone" and "410" in outcome.detail
    feed = h.store.get("old")
    assert feed.status == "gone" and "410" in (feed.disabled_reason or "")
    assert not h.poller.due(feed)
    h.clock.advance(days=30)
    assert not h.poller.due(h.store.get("old"))


def test_a_permanent_redirect_updates_the_stored_url(h, site):
    new = site.publish("/new.xml", fixture("rss1-rdf.xml"))
    site.answer("/old.xml", 301, {"Location": "/new.xml"})
    h.add("list", site.url("/old.xml"))
    assert h.poll("list").status == "ok"
    assert h.store.get("list").url == new
    h.poll("list")
    assert len(site.hits("/old.xml")) == 1 and len(site.hits("/new.xml")) == 2


def test_a_temporary_redirect_keeps_the_url(h, site):
    site.publish("/today.xml", fixture("rss1-rdf.xml"))
    site.answer("/feed", 302, {"Location": "/today.xml"})
    h.add("list", site.url("/feed"))
    assert h.poll("list").status == "ok"
    assert h.store.get("list").url == site.url("/feed")


def test_errors_back_off_per_feed_and_never_stop_the_others(h, site):
    site.answer("/broken", 500)
    good = site.publish("/good", fixture("hugo-atom.xml"))
    h.add("broken", site.url("/broken"), interval=timedelta(minutes=10))
    h.add("good", good)
    outcomes = h.poller.poll_many(h.store.list_feeds(), workers=2)
    assert {o.feed: o.status for o in outcomes} == {"broken": "error", "good": "ok"}
    broken = h.store.get("broken")
    assert broken.error_count == 1 and "HTTP 500" in (broken.last_error or "")
    assert broken.next_poll_at == h.clock() + timedelta(minutes=20)
    assert not h.poller.due(broken, respect_interval=False)
    h.clock.advance(minutes=20)
    assert h.poller.due(h.store.get("broken"), respect_interval=False)
    h.poll("broken")
    assert h.store.get("broken").next_poll_at == h.clock() + timedelta(minutes=40)
    site.publish("/broken", fixture("rss1-rdf.xml"))
    h.poll("broken")
    healed = h.store.get("broken")
    assert (healed.status, healed.error_count, healed.next_poll_at) == ("ok", 0, None)


def test_backoff_is_exponential_and_capped():
    ten = timedelta(minutes=10)
    assert [backoff_delay(ten, n) for n in (1, 2, 3)] == [ten * 2, ten * 4, ten * 8]
    assert backoff_delay(ten, 50) == timedelta(hours=6)
    assert backoff_delay(timedelta(days=1), 3) == timedelta(days=1)


@pytest.mark.parametrize(
    "body", [b"<html>a web page</html>", b"\x00\xff binary", b""], ids=["html", "binary", "empty"]
)
def test_a_document_that_is_no_feed_is_an_error_of_that_feed(h, site, body):
    site.publish("/bad", body, content_type="text/html")
    h.add("bad", site.url("/bad"))
    outcome = h.poll("bad")
    assert outcome.status == "error" and "not a" in outcome.detail
    assert h.store.get("bad").error_count == 1 and h.items() == []


def test_a_truncated_feed_is_read_as_far_as_it_goes_and_the_fault_reported(h, site):
    whole = fixture("wordpress-rss2.xml")
    cut = whole[: whole.index(b"<item>", whole.index(b"<item>") + 1) + 30]
    h.add("cut", site.publish("/cut", cut), initial=10)
    outcome = h.poll("cut")
    assert outcome.status == "ok" and "SAXParseException" in outcome.detail
    assert [i.title for i in h.items()] == ["Xen 4.20 released – what’s new"]


def test_duplicate_guids_make_one_item_per_key(h, site):
    h.add("sloppy", site.publish("/s", fixture("duplicate-guids.xml")), initial=10)
    outcome = h.poll("sloppy")
    assert outcome.ingest.seen == 2
    assert [i.title for i in h.items()] == ["First post", "Third post"]
    h.clock.advance(hours=1)
    assert h.poll("sloppy").status == "not_modified"


def test_entries_without_links_or_dates_are_seen_but_only_linked_ones_queue(h, site):
    h.add("minimal", site.publish("/m", fixture("no-links-no-dates.xml")), initial=10)
    outcome = h.poll("minimal")
    assert outcome.ingest.seen == 3 and len(outcome.ingest.skipped) == 2
    assert all("no link" in why for why in outcome.ingest.skipped)
    assert [i.url for i in h.items()] == ["https://minimal.example.org/undated"]
    assert h.store.get("minimal").entries_seen == 3


def test_relative_links_resolve_against_the_feed_url(h, site):
    url = site.publish("/dir/feed.xml", fixture("relative-rss.xml"))
    h.add("rel", url)
    h.poll("rel")
    assert [i.url for i in h.items()] == [site.url("/dir/posts/relative-item/")]


def test_include_and_exclude_keywords(h, site):
    url = site.publish("/feed", fixture("wordpress-rss2.xml"))
    h.add("sec", url, include=["security", "SUMMIT"], exclude=["papers"], initial=10)
    outcome = h.poll("sec")
    assert [i.title for i in h.items()] == ["Security advisory XSA-460"]
    assert sum("filtered out" in why for why in outcome.ingest.skipped) == 2


def test_a_feed_targets_its_own_channels(h, site):
    h.add("only", site.publish("/f", fixture("rss1-rdf.xml")), channels=["fast"])
    h.poll("only")
    assert [d.channel for d in h.items()[0].deliveries] == ["fast"]


def test_config_sync_adds_updates_and_removes_only_config_feeds(h):
    h.add("from-cli", "https://cli.example.org/feed")
    spec = FeedSpec(name="blog", url="https://blog.example.org/feed", managed_by="config")
    assert h.store.sync([spec]) == ["added feed blog"]
    assert h.store.sync([spec]) == []  # unchanged: no write
    changed = FeedSpec(
        name="blog", url="https://blog.example.org/feed", category="events", managed_by="config"
    )
    assert h.store.sync([changed]) == ["updated feed blog"]
    assert h.store.get("blog").category == "events"
    assert h.store.sync([]) == ["removed feed blog"]
    assert [f.name for f in h.store.list_feeds()] == ["from-cli"]


def test_items_of_a_removed_feed_stay_queued(h, site):
    h.add("blog", site.publish("/feed", fixture("rss1-rdf.xml")))
    h.poll("blog")
    h.store.remove("blog")
    assert len(h.items()) == 1
    with make_sessionmaker(h.engine)() as s:
        assert s.scalars(select(Item.source)).all() == ["feed"]
