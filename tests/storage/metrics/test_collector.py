"""Collection rounds against the real outbox and the fake X server, on both databases.

Nothing of ours is mocked: the X adapter talks to the fake over real HTTP (real tweepy), and the
fake's request log counts the reads. The samples recorded must equal the fake's figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue.metrics_store import MetricsStore
from tests.conftest import FakeClock
from tests.daemon.conftest import make_channel
from tests.fakes.server import FakeServer
from tests.fakes.x import CREDENTIALS, FakeX
from tests.stored_rows import engagement_samples, follower_samples
from xensocial.adapters.base import ChannelContext, Post
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.adapters.x import XAdapter
from xensocial.config.metrics import MetricsConfig
from xensocial.metrics.collector import Collector

from .conftest import published

HOUR = timedelta(hours=1)
X = make_channel("x-main", network="x")


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        yield s


@pytest.fixture
def fake_x(server: FakeServer, clock: FakeClock) -> FakeX:
    return FakeX(server, clock=clock, followers=4321)


@pytest.fixture
def x_adapter(server: FakeServer, clock: FakeClock, fake_x: FakeX) -> Iterator[XAdapter]:
    a = XAdapter(
        ChannelContext(
            "x-main",
            options={"api_base_url": server.url},
            secrets=CREDENTIALS,
            timeout_seconds=2.0,
            clock=clock,
        )
    )
    yield a
    a.close()


def lookups(server: FakeServer) -> list[list[str]]:
    return [(r.arg("ids") or "").split(",") for r in server.requests("GET", "/2/tweets")]


def test_x_samples_equal_the_fakes_figures(
    engine: Engine, clock: FakeClock, server: FakeServer, fake_x: FakeX, x_adapter: XAdapter
) -> None:
    born = clock() - 2 * HOUR
    a = fake_x.add_post(
        "one",
        born,
        likes=5,
        reposts=2,
        replies=1,
        quotes=3,
        impressions=90,
        link_clicks=7,
        bookmarks=6,
    )
    b = fake_x.add_post("two", born - HOUR, likes=1)
    [da, db] = published(engine, clock, "x-main", [a.id, b.id], [born, born - HOUR])
    store = MetricsStore(engine, clock)
    collector = Collector(store, MetricsConfig(), [X], {"x-main": x_adapter}, clock=clock)

    [result] = collector.run_round()

    assert (result.followers_taken, result.followers, result.samples) == (True, 4321, 2)
    assert follower_samples(engine) == [("x-main", clock(), 4321)]
    samples = {s.delivery_id: s for s in engagement_samples(engine)}
    sa = samples[da]
    assert (sa.likes, sa.reposts, sa.replies, sa.quotes, sa.impressions, sa.clicks) == (
        5,
        2,
        1,
        3,
        90,
        7,
    )
    assert sa.bookmarks == 6
    assert sa.age_seconds == 3600 and sa.taken_at == clock() and sa.found
    assert samples[db].likes == 1
    # Nothing more is due until the 24 h age, and followers until tomorrow: no request.
    before = len(server.requests())
    assert collector.run_round()[0].requests == 0
    assert len(server.requests()) == before


def test_samples_are_appended_never_overwritten(
    engine: Engine, clock: FakeClock, fake_x: FakeX, x_adapter: XAdapter
) -> None:
    born = clock() - 2 * HOUR
    post = fake_x.add_post("one", born, likes=5)
    [delivery] = published(engine, clock, "x-main", [post.id], [born])
    store = MetricsStore(engine, clock)
    collector = Collector(store, MetricsConfig(), [X], {"x-main": x_adapter}, clock=clock)
    collector.run_round()
    post.likes = 50
    clock.advance(days=1)
    collector.run_round()
    fake_x.followers = 5000
    clock.advance(days=1)
    collector.run_round()
    assert [(s.age_seconds, s.likes) for s in engagement_samples(engine)] == [
        (3600, 5),
        (86400, 50),
    ]
    assert [f for _, _, f in follower_samples(engine)] == [4321, 4321, 5000]
    assert all(s.delivery_id == delivery for s in engagement_samples(engine))


def test_a_missed_age_is_taken_late_once(
    engine: Engine, clock: FakeClock, fake_x: FakeX, x_adapter: XAdapter
) -> None:
    # Published 8 days ago and never read: 1 h, 24 h and 7 d are all past; one reading, for 7 d.
    born = clock() - timedelta(days=8)
    post = fake_x.add_post("old", born, likes=9)
    published(engine, clock, "x-main", [post.id], [born])
    store = MetricsStore(engine, clock)
    collector = Collector(store, MetricsConfig(), [X], {"x-main": x_adapter}, clock=clock)
    collector.run_round()
    collector.run_round()
    assert [(s.age_seconds, s.likes) for s in engagement_samples(engine)] == [(7 * 86400, 9)]


def test_more_than_100_posts_are_read_in_batches(
    engine: Engine, clock: FakeClock, server: FakeServer, fake_x: FakeX, x_adapter: XAdapter
) -> None:
    born = [clock() - 2 * HOUR - timedelta(minutes=i) for i in range(230)]
    posts = [fake_x.add_post(f"p{i}", at, likes=i) for i, at in enumerate(born)]
    published(engine, clock, "x-main", [p.id for p in posts], born)
    store = MetricsStore(engine, clock)
    collector = Collector(store, MetricsConfig(), [X], {"x-main": x_adapter}, clock=clock)
    [result] = collector.run_round()
    calls = lookups(server)
    assert [len(c) for c in calls] == [100, 100, 30]
    assert result.samples == 230 and result.requests == 4  # 3 lookups + 1 follower count
    assert result.reads == 231 == fake_x.bill.reads  # what X bills: 230 posts and 1 user
    assert sorted(s.likes or 0 for s in engagement_samples(engine)) == list(range(230))


@pytest.mark.slow  # seconds to minutes: left out of the fast run (README, Testing)
def test_budget_is_never_exceeded_over_a_month(
    engine: Engine, clock: FakeClock, server: FakeServer, fake_x: FakeX, x_adapter: XAdapter
) -> None:
    clock.set(clock().replace(day=1, hour=0))  # 2026-03-01, a 31-day month
    budget = 40
    config = MetricsConfig(budget={"x": budget})
    store = MetricsStore(engine, clock)
    collector = Collector(store, config, [X], {"x-main": x_adapter}, clock=clock)
    month = clock().month
    skipped = 0
    while (clock() + timedelta(hours=6)).month == month:
        # 3 new posts every 6 hours: far more to read than 40 reads allow.
        for i in range(3):
            born = clock() - timedelta(minutes=i)
            post = fake_x.add_post(f"{clock()} {i}", born, likes=i)
            published(engine, clock, "x-main", [post.id], [born])
        clock.advance(hours=6)
        skipped += sum(r.skipped for r in collector.run_round())
    spent = store.reads_spent("x", clock().replace(day=1, hour=0))
    assert spent <= budget  # in reads as X bills them: posts and users, not requests
    assert spent >= budget - 2  # and it does use the budget
    assert fake_x.bill.reads <= spent  # X never billed more than the budget counted
    assert skipped > 0
    # A new month brings a fresh budget.
    clock.advance(hours=12)
    assert clock().month == month + 1
    assert collector.run_round()[0].requests > 0


def test_an_x_budget_counts_posts_read_not_requests(
    engine: Engine, clock: FakeClock, server: FakeServer, fake_x: FakeX, x_adapter: XAdapter
) -> None:
    # 150 reads: the follower count (one user) and one lookup of 100 posts fit; the next
    # lookup does not, and is cut to the 49 posts the budget still pays for.
    born = [clock() - 2 * HOUR - timedelta(minutes=i) for i in range(250)]
    posts = [fake_x.add_post(f"p{i}", at, likes=i) for i, at in enumerate(born)]
    published(engine, clock, "x-main", [p.id for p in posts], born)
    store = MetricsStore(engine, clock)
    config = MetricsConfig(budget={"x": 150})
    collector = Collector(store, config, [X], {"x-main": x_adapter}, clock=clock)

    [result] = collector.run_round(now_all=True)  # `metrics poll --now`: no daily spread

    assert [len(c) for c in lookups(server)] == [100, 49]
    assert (result.samples, result.skipped, result.requests, result.reads) == (149, 101, 3, 150)
    assert fake_x.bill.charged == {"User: Read": 1, "Posts: Read": 149}  # X's own count
    assert store.reads_spent("x", clock().replace(day=1, hour=0)) == 150
    assert result.describe() == (
        "x-main (x): followers 4321; 149 engagement samples; 150 reads in 3 requests; "
        "101 skipped (budget); x budget: 150 of 150 reads"
    )
    assert sorted(s.likes or 0 for s in engagement_samples(engine)) == list(range(149))  # newest

    clock.advance(hours=1)  # the month's reads are spent: nothing more is asked of X
    before = len(server.requests())
    [later] = collector.run_round(now_all=True)
    assert (later.requests, later.reads, later.skipped) == (0, 0, 101)
    assert later.followers_skipped
    assert len(server.requests()) == before


def test_outbox_gives_none_not_zero(engine: Engine, clock: FakeClock, tmp_path: Path) -> None:
    adapter = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    result = adapter.publish(
        Post(key="k1", channel="demo", item_id=1, text="hi", url="https://example.org/1")
    )
    published(engine, clock, "demo", [result.remote_id], [clock()])
    clock.advance(hours=2)
    store = MetricsStore(engine, clock)
    collector = Collector(
        store, MetricsConfig(), [make_channel("demo")], {"demo": adapter}, clock=clock
    )
    [r] = collector.run_round()
    assert r.followers_taken and r.followers is None and r.samples == 1
    [s] = engagement_samples(engine)
    assert s.found
    assert (s.likes, s.reposts, s.replies, s.quotes, s.impressions, s.clicks) == (None,) * 6
    assert s.bookmarks is None
    assert follower_samples(engine) == [("demo", clock(), None)]
