"""A database with known contents for the export tests, built through the queue's own API.

`seed()` puts in a small but complete picture (published, failed, unknown, publishing and
pending deliveries on three channels, one of them no longer configured; drafts and cancelled
items; follower samples, one of them null; feeds in each health; a paused channel), and the
tests compare every figure the exports show with what is written here by hand.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem, make_engine
from content_queue.metrics_store import DueSample, EngagementReading, MetricsStore
from content_queue.sources import FeedSpec, FeedStore
from tests.choosing import claim
from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from xensocial.config import Settings, load_settings
from xensocial.heartbeat import Beat

__all__ = [
    "CONFIG",
    "DaemonSeen",
    "Seeded",
    "free_port",
    "seed",
    "settings_for",
    "stop_database",
    "utc",
]

CONFIG = """\
timezone = "UTC"
identity = "exports-test"

[[channels]]
name = "alpha"
network = "outbox"
slots = ["09:30", "15:00"]
max_per_day = 2
[channels.options]
path = "alpha.jsonl"

[[channels]]
name = "beta"
network = "outbox"
cron = "0 */5 * * * *"
max_per_day = 100
[channels.options]
path = "beta.jsonl"

[[channels]]
name = "delta"
network = "outbox"
slots = ["12:00"]
enabled = false
[channels.options]
path = "delta.jsonl"
"""


@dataclass
class DaemonSeen:
    """What a running daemon tells its endpoint (`reporting.health.DaemonState`), as each test
    sets it: why the scheduler is not running, and the heartbeat record (by default a fresh
    one: a slot or tick completed its database work just now, by the test's clock)."""

    clock: FakeClock
    problem: str | None = None
    record: Beat | None = None

    def scheduler_problem(self) -> str | None:
        return self.problem

    def beat(self) -> Beat:
        return self.record if self.record is not None else Beat(at=self.clock())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop_database(engine: Engine) -> None:
    """Take the database away from under a running reader: the SQLite file is moved (open
    connections keep reading it; a new one finds nothing), the PostgreSQL schema dropped."""
    if engine.url.get_backend_name() == "sqlite":
        path = Path(str(engine.url.database))
        path.rename(path.with_name(path.name + ".moved"))
        return
    search_path = engine.url.query["options"]
    assert isinstance(search_path, str) and search_path.startswith("-csearch_path=")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{search_path.removeprefix("-csearch_path=")}" CASCADE')
        conn.commit()


def settings_for(folder: Path, database_url: str, extra: str = "") -> Settings:
    path = folder / "xensocial.toml"
    path.write_text(CONFIG + extra, encoding="utf-8")
    env = {"XENSOCIAL_DATABASE_URL": database_url, "XENSOCIAL_DATA_DIR": str(folder)}
    return load_settings(path, env=env)


@dataclass
class Seeded:
    """What `seed` wrote that the tests need to name: item ids and delivery keys."""

    items: dict[str, int] = field(default_factory=dict)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (item, channel) -> key
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (item, channel) -> id


class _Seeder:
    def __init__(self, engine: Engine, clock: FakeClock) -> None:
        self.queue = ContentQueue(engine, clock)
        self.ledger = Ledger(engine, clock)
        self.clock = clock
        self.seeded = Seeded()

    def item(self, name: str, channels: list[str], **kw: object) -> None:
        view = self.queue.add(NewItem(url=f"https://example.org/{name}", channels=channels, **kw))
        self.seeded.items[name] = view.id
        for d in view.deliveries:
            self.seeded.deliveries[name, d.channel] = d.id
            self.seeded.keys[name, d.channel] = d.idempotency_key

    def begin(self, name: str, channel: str) -> int:
        delivery = self.seeded.deliveries[name, channel]
        far = utc(2030, 1, 1)
        assert (
            claim(self.ledger, delivery, "seed", far, channel=channel, now=self.clock()) is not None
        )
        return delivery

    def published(self, name: str, channel: str, at: datetime, remote_url: str | None) -> None:
        delivery = self.begin(name, channel)
        remote = f"{channel}-{name}"
        done = self.ledger.mark_published(
            delivery, remote_id=remote, remote_url=remote_url, published_at=at
        )
        assert done

    def failed(self, name: str, channel: str, error: str) -> None:
        assert self.ledger.mark_failed(self.begin(name, channel), error)

    def unknown(self, name: str, channel: str) -> None:
        assert self.ledger.mark_unknown(self.begin(name, channel), "lookup cannot tell")


def seed(engine: Engine, clock: FakeClock) -> Seeded:
    """The picture the figures in the tests are computed from (clock: 2026-03-02 09:00 UTC)."""
    s = _Seeder(engine, clock)
    s.item(
        "release",
        ["alpha", "beta", "gamma"],
        title="Xen 4.20 is out",
        text="What's new in 4.20",
        tags=["xen", "release"],
        category="announcement",
    )
    s.published("release", "alpha", utc(2026, 3, 1, 10), "https://social.example/alpha/1")
    s.published("release", "beta", utc(2026, 3, 1, 11), "https://social.example/beta/1")
    s.published("release", "gamma", utc(2026, 2, 27, 8), "https://social.example/gamma/1")
    s.item("long", ["alpha", "beta"], title="A long one")
    s.failed(
        "long", "alpha", "rejected: posting to Mastodon: 612 characters, the instance allows 500"
    )
    s.failed(
        "long", "beta", "rejected: posting: X refused a duplicate (403): Status is a duplicate."
    )
    s.item("summit", ["alpha", "beta"], title="Summit")
    s.published("summit", "alpha", utc(2026, 3, 2, 8), None)
    s.unknown("summit", "beta")
    s.item("draft", ["alpha"], title="A draft", draft=True)
    s.item("waiting", ["alpha", "beta"], title="Waiting")
    s.item("cancelled", ["alpha"], title="Cancelled")
    s.queue.cancel(s.seeded.items["cancelled"])
    s.item("template", ["beta"], title="Bad template")
    s.failed("template", "beta", "cannot render: unknown placeholder {nope}")
    s.item("odd", ["alpha"], title="Odd")
    s.failed("odd", "alpha", "the network said no")
    s.item("flying", ["alpha"], title="In flight")
    s.begin("flying", "alpha")

    store = MetricsStore(engine, clock)
    for channel, taken_at, followers in (
        ("alpha", utc(2026, 3, 1), 100),
        ("alpha", utc(2026, 3, 2), 120),
        ("beta", utc(2026, 3, 1), 50),
        ("beta", utc(2026, 3, 2), None),
        ("gamma", utc(2026, 3, 1), 7),
    ):
        store.record_followers(channel, taken_at, followers)
    release_alpha = s.seeded.deliveries["release", "alpha"]

    def reading(age: timedelta, taken_at: datetime, **counts: int | None) -> EngagementReading:
        due = DueSample(release_alpha, "alpha", "alpha-release", utc(2026, 3, 1, 10), age)
        return EngagementReading(due, taken_at=taken_at, **counts)

    store.record_engagement(
        [
            reading(
                timedelta(hours=1), utc(2026, 3, 1, 11, 0, 5), likes=4, reposts=0, replies=None
            ),
            reading(
                timedelta(days=1),
                utc(2026, 3, 2, 10, 0, 7),
                likes=9,
                reposts=2,
                replies=1,
                impressions=300,
                bookmarks=5,
            ),
        ]
    )

    feeds = FeedStore(engine, clock)
    blog = feeds.add(FeedSpec(name="blog", url="https://blog.example/feed"))
    for _ in range(2):
        feeds.record_failure(blog.id, "HTTP 500", next_poll_at=None)
    news = feeds.add(FeedSpec(name="news", url="https://news.example/feed"))
    feeds.record_poll(news.id, [], channels=["alpha"], etag=None, last_modified=None)
    feeds.add(FeedSpec(name="fresh", url="https://fresh.example/feed"))

    s.ledger.pause("beta", "token revoked", by="test")
    return s.seeded


@pytest.fixture
def seeded(engine: Engine, clock: FakeClock) -> Seeded:
    return seed(engine, clock)


@pytest.fixture
def export_cli(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[CliHarness, Seeded]]:
    """The CLI on a seeded SQLite file, in Europe/Amsterdam (dates typed are local)."""
    text = 'database_url = "sqlite:///{db}"\ndata_dir = "{data}"\nauto_migrate = {auto_migrate}\n'
    text += CONFIG.replace('timezone = "UTC"', 'timezone = "Europe/Amsterdam"')
    harness = CliHarness(write_config(tmp_path, text=text), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    engine = make_engine(f"sqlite:///{harness.db}")
    try:
        yield harness, seed(engine, clock)
    finally:
        engine.dispose()
