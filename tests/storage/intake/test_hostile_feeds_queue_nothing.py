"""Hostile feeds yield nothing to post (issue 14), through the real poller: documents served over
real HTTP on 127.0.0.1, fetched by the real fetcher, into a real database (both backends).

Why, as the issue reported it: "A hostile feed becomes a post: a feed built as a "billion
laughs" document (entity declarations in a DOCTYPE) is parsed safely, but its entry is queued
with the title `&lol9;` and, with `auto_approve`, would be posted to every channel."
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue
from content_queue.sources import FeedSpec, FeedStore
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Reply
from tests.network.intake.test_hostile import GOOD_RSS, _laughs
from xensocial.intake.fetch import FetchLimits
from xensocial.intake.poller import FeedPoller

OPEN = FetchLimits(allow_private_addresses=True, connect_timeout=2, read_timeout=2, deadline=5)
RSS = {"Content-Type": "application/rss+xml"}
# No DOCTYPE at all: the reference is simply undefined, and left as it is by the parser.
UNDEFINED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Sneaky</title>
<item><title>A fine post</title><link>https://e.org/fine</link><guid>s-1</guid></item>
<item><title>&lol9;</title><link>https://e.org/lol</link><guid>s-2</guid></item>
</channel></rss>"""


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        s.route("GET", "/laughs", lambda r: Reply(200, _laughs(), RSS))
        s.route("GET", "/undefined", lambda r: Reply(200, UNDEFINED, RSS))
        s.route("GET", "/good", lambda r: Reply(200, GOOD_RSS, RSS))
        yield s


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/laughs", "refused: the document declares its own entities ('lol0' in its DOCTYPE)"),
        (
            "/undefined",
            "refused: the title of entry 2 is not plain text (an unexpanded entity reference: "
            "'&lol9;'); nothing was queued from this feed",
        ),
    ],
    ids=["billion-laughs", "undefined-entity"],
)
def test_a_hostile_feed_is_refused_whole_and_queues_nothing(
    engine: Engine, server: FakeServer, clock: FakeClock, path: str, reason: str
) -> None:
    store = FeedStore(engine, clock=clock)
    for name, where in (("hostile", path), ("good", "/good")):
        store.add(FeedSpec(name=name, url=f"{server.url}{where}", auto_approve=True, initial=5))
    poller = FeedPoller(store, channels=["x", "mastodon"], limits=OPEN, clock=clock)

    outcomes = {o.feed: o for o in poller.poll_many(store.list_feeds(), workers=2)}

    hostile = outcomes["hostile"]
    assert hostile.status == "error" and hostile.ingest is None
    assert hostile.detail.startswith(reason)
    recorded = store.get("hostile")  # recorded as any feed error is, and backed off
    assert recorded.last_error is not None and recorded.last_error.startswith(reason)
    assert recorded.error_count == 1 and recorded.next_poll_at is not None
    # Nothing from it (not even the fine entry beside the bad one); the good feed unharmed.
    items = ContentQueue(engine, clock=clock).list_items(limit=100)
    assert [(i.title, i.url) for i in items] == [("Fine post", "https://good.example.org/1")]
    assert outcomes["good"].status == "ok"
