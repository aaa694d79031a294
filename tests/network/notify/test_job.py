"""The daemon's alerting job against a real database and a webhook receiver on 127.0.0.1: an
event sent once when it starts and once when it clears, not repeated inside the quiet period,
a failure retried with backoff, and a notice whose sender died sent once by the next one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem, make_engine
from content_queue.metrics_store import MetricsStore
from content_queue.notices import NoticeStore
from content_queue.sources import FeedSpec, FeedStore
from tests.choosing import claim
from tests.conftest import FakeClock
from tests.fakes.notify import receivers
from tests.fakes.server import FakeServer, Fault
from tests.storage.exports.conftest import settings_for
from xensocial.config import Settings
from xensocial.migrate import upgrade
from xensocial.notify.job import LEASE, NotifyJob, Round

IDENTITY = "exports-test"  # the identity settings_for's configuration names


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        receivers(fake)
        yield fake


def settings(
    tmp_path: Path, engine: Engine, server: FakeServer, events: str, repeat: str = "1d"
) -> Settings:
    table = (
        f'\n[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
        f'events = [{events}]\nrepeat = "{repeat}"\n'
    )
    return settings_for(tmp_path, engine.url.render_as_string(hide_password=False), table)


def sent(server: FakeServer) -> list[tuple[str, str, str]]:
    return [
        (r.json()["event"], r.json()["subject"], r.json()["phase"])
        for r in server.requests("POST", "/hook")
    ]


def service_pause(engine: Engine, clock: FakeClock, channel: str) -> None:
    """What the publisher does when the network refuses the token: claim, then pause."""
    ledger = Ledger(engine, clock)
    assert ledger.claim_slot(channel, clock(), IDENTITY) is not None
    ledger.pause(channel, "auth failed: token revoked", by=IDENTITY)


def test_a_service_pause_is_sent_once_and_cleared_once(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    job = NotifyJob(settings(tmp_path, engine, server, '"channel_paused"'), engine, clock=clock)
    assert job.run_once().sent == 0
    service_pause(engine, clock, "alpha")
    Ledger(engine, clock).pause("beta", "holiday", by="alice")  # a person's pause: no alert
    first = job.run_once()
    assert (first.started, first.sent) == (("channel_paused:alpha",), 1)
    for _ in range(23):  # every hour for most of a day: the quiet period
        clock.advance(hours=1)
        assert job.run_once().sent == 0
    Ledger(engine, clock).resume("alpha", by="alice")
    assert job.run_once().cleared == ("channel_paused:alpha",)
    clock.advance(days=2)
    job.run_once()
    assert sent(server) == [
        ("channel_paused", "alpha", "start"),
        ("channel_paused", "alpha", "clear"),
    ]
    message = server.requests("POST", "/hook")[0].json()["message"]
    assert "auth failed: token revoked" in message
    assert "xensocial channels resume alpha" in message


def test_an_event_that_lasts_is_repeated_after_the_period(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    job = NotifyJob(
        settings(tmp_path, engine, server, '"channel_paused"', "6h"), engine, clock=clock
    )
    service_pause(engine, clock, "alpha")
    job.run_once()
    clock.advance(hours=5, minutes=59)
    job.run_once()
    clock.advance(minutes=1)
    job.run_once()
    assert [phase for _, _, phase in sent(server)] == ["start", "repeat"]


def test_the_queue_running_dry_is_an_event_until_items_come(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    s = settings(tmp_path, engine, server, '"queue_dry"')
    job = NotifyJob(s, engine, clock=clock)
    assert "queue_dry:alpha" in job.run_once().started
    (alert,) = [
        r.json() for r in server.requests("POST", "/hook") if r.json()["subject"] == "alpha"
    ]
    assert "xensocial queue add URL --channel alpha" in alert["message"]
    queue = ContentQueue(engine, clock)
    for i in range(8):  # alpha posts twice a day: 3 days need 6 items
        queue.add(NewItem(url=f"https://example.org/{i}", title=f"Item {i}", channels=["alpha"]))
    clock.advance(minutes=1)
    assert job.run_once().cleared == ("queue_dry:alpha",)
    assert sent(server).count(("queue_dry", "alpha", "clear")) == 1


def test_a_failure_is_retried_with_backoff(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    job = NotifyJob(settings(tmp_path, engine, server, '"channel_paused"'), engine, clock=clock)
    server.fault("POST", "/hook", Fault.respond(503), times=2)
    service_pause(engine, clock, "alpha")
    assert job.run_once().failed == 1
    assert job.run_once().failed == 0  # not due yet: nothing tried
    clock.advance(seconds=29)
    job.run_once()
    assert len(server.requests("POST", "/hook")) == 1
    clock.advance(seconds=1)  # 30 s after the first failure
    assert job.run_once().failed == 1
    clock.advance(seconds=59)  # the second wait is a minute
    assert job.run_once().sent == 0
    clock.advance(seconds=1)
    assert job.run_once().sent == 1
    assert len(server.requests("POST", "/hook")) == 3
    (row,) = NoticeStore(engine, clock).latest()
    assert (row.state, row.attempts) == ("sent", 3)
    assert row.last_error is None


@pytest.mark.parametrize("restart", ["same identity", "another replica"])
def test_a_sender_that_died_between_claim_and_mark_is_replaced_once(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock, restart: str
) -> None:
    s = settings(tmp_path, engine, server, '"channel_paused"')
    service_pause(engine, clock, "alpha")
    dying = NotifyJob(s, engine, clock=clock, send=lambda target, notice: None)
    dying.store.record(*_found(dying))
    (notice,) = dying.store.due(IDENTITY)
    assert dying.store.claim(notice.id, IDENTITY, LEASE)  # ... and the process is killed here
    if restart == "same identity":  # it holds the identity's lock: the claim was a dead one's
        after = NotifyJob(s, engine, clock=clock, reclaim_own=True)
    else:  # another replica waits for the lease to end
        after = NotifyJob(replace(s, identity="replica-2"), engine, clock=clock)
        assert after.run_once().sent == 0
        clock.advance(LEASE + timedelta(seconds=1))
    assert after.run_once().sent == 1
    assert after.run_once().sent == 0
    assert sent(server) == [("channel_paused", "alpha", "start")]


def _found(job: NotifyJob) -> tuple[object, ...]:
    from xensocial.notify.events import detect

    return (detect(job.settings, job.engine, job.clock()), job.settings.notify)


def test_a_spent_metrics_budget_is_an_event_until_the_month_ends(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    table = (
        f'\n[metrics.budget]\noutbox = 100\n\n[[notify]]\nname = "hook"\nkind = "webhook"\n'
        f'url = "{server.url}/hook"\nevents = ["metrics_budget"]\n'
    )
    s = settings_for(tmp_path, engine.url.render_as_string(hide_password=False), table)
    job = NotifyJob(s, engine, clock=clock)
    store = MetricsStore(engine, clock)
    store.record_reads("outbox", "alpha", 99, clock())
    assert "metrics_budget:outbox" not in job.run_once().started
    store.record_reads("outbox", "alpha", 1, clock())
    assert job.run_once().started == ("metrics_budget:outbox",)
    message = server.requests("POST", "/hook")[0].json()["message"]
    assert "100 of 100 reads" in message and "[metrics.budget]" in message
    clock.set(datetime(2026, 4, 1, 0, 1, tzinfo=UTC))  # a new month, a new budget
    assert "metrics_budget:outbox" in job.run_once().cleared
    assert sent(server) == [
        ("metrics_budget", "outbox", "start"),
        ("metrics_budget", "outbox", "clear"),
    ]


def test_the_database_out_of_reach_is_said_after_the_threshold_and_when_back(
    tmp_path: Path, sqlite_engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    engine = sqlite_engine
    table = '\n[alerts]\ndatabase_unreachable_after = "5m"\n' + (
        f'\n[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
        'events = ["database_unreachable"]\n'
    )
    job = NotifyJob(settings_for(tmp_path, str(engine.url), table), engine, clock=clock)
    job.run_once()
    path = Path(str(engine.url.database))
    moved = path.with_name(path.name + ".moved")
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file
    path.rename(moved)  # a new connection finds an empty database: every query fails
    assert job.run_once() == Round((), (), 0, 0)
    clock.advance(minutes=4, seconds=59)
    job.run_once()
    assert sent(server) == []
    clock.advance(seconds=1)
    job.run_once()
    clock.advance(minutes=10)
    job.run_once()  # said once, not at every check
    assert sent(server) == [("database_unreachable", IDENTITY, "start")]
    message = server.requests("POST", "/hook")[0].json()["message"]
    assert "cannot reach its database since 2026-03-02 09:00 UTC" in message
    engine.dispose()
    for empty in path.parent.glob(path.name + "*"):  # the empty database and its WAL
        if empty != moved:
            empty.unlink()
    moved.replace(path)
    job.run_once()
    job.run_once()
    assert sent(server)[1:] == [("database_unreachable", IDENTITY, "clear")]


def test_posts_in_doubt_one_each_and_failures_one_per_channel(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    s = settings(tmp_path, engine, server, '"delivery_unknown", "delivery_failed"')
    job = NotifyJob(s, engine, clock=clock)
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    ids, deliveries = [], []
    for i in range(4):
        (d,) = queue.add(
            NewItem(url=f"https://example.org/{i}", title="t", channels=["alpha"])
        ).deliveries
        lease = clock() + timedelta(minutes=5)
        assert claim(ledger, d.id, "host", lease, channel="alpha", now=clock()) is not None
        ids.append(d.item_id)
        deliveries.append(d.id)
    ledger.mark_unknown(deliveries[0], "lookup cannot tell")
    for delivery in deliveries[1:]:  # a network refusing a batch of posts
        ledger.mark_failed(delivery, "rejected: too long")
    round_ = job.run_once()
    started = sorted(k for k in round_.started if k.startswith("delivery"))
    assert started == ["delivery_failed:alpha", f"delivery_unknown:item {ids[0]} on alpha"]
    assert round_.sent == 2  # not four: the failures are one message
    failed = next(
        r.json() for r in server.requests("POST", "/hook") if r.json()["event"] == "delivery_failed"
    )
    assert (
        "3 post(s) failed on alpha" in failed["message"]
        and "rejected: too long" in failed["message"]
    )
    unknown = next(
        r.json()
        for r in server.requests("POST", "/hook")
        if r.json()["event"] == "delivery_unknown"
    )
    assert f"xensocial queue resolve {ids[0]} --channel alpha" in unknown["message"]
    assert ledger.resolve(
        deliveries[0], remote_url=None, at=clock()
    )  # a person found the post: cleared
    clock.advance(days=3, minutes=1)  # the failures age out of the window: cleared too
    assert sorted(k for k in job.run_once().cleared if k.startswith("delivery")) == started


def test_a_feed_failing_past_the_threshold_and_a_feed_gone(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock
) -> None:
    job = NotifyJob(
        settings(tmp_path, engine, server, '"feed_failing", "feed_gone"'), engine, clock=clock
    )
    feeds = FeedStore(engine, clock)
    blog = feeds.add(FeedSpec(name="blog", url="https://blog.example/feed"))
    feeds.record_poll(blog.id, [], channels=["alpha"], etag=None, last_modified=None)
    old = feeds.add(FeedSpec(name="old", url="https://old.example/feed"))
    feeds.record_failure(old.id, "HTTP 410 Gone", next_poll_at=None, gone=True)
    clock.advance(hours=1)
    feeds.record_failure(blog.id, "HTTP 500", next_poll_at=None)
    assert feeds_in(job.run_once().started) == ("feed_gone:old",)
    clock.advance(hours=23, seconds=1)  # 24 h since blog's last good poll
    feeds.record_failure(blog.id, "HTTP 500", next_poll_at=None)
    assert feeds_in(job.run_once().started) == ("feed_failing:blog",)
    feeds.record_poll(blog.id, [], channels=["alpha"], etag=None, last_modified=None)
    assert feeds_in(job.run_once().cleared) == ("feed_failing:blog",)
    assert [(e, s, p) for e, s, p in sent(server)] == [
        ("feed_gone", "old", "start"),
        ("feed_failing", "blog", "start"),
        ("feed_failing", "blog", "clear"),
    ]
    assert (
        "2 failures; the latest: HTTP 500" in server.requests("POST", "/hook")[1].json()["message"]
    )


def feeds_in(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The feed events among `keys` (the test's channels have no items: their queues are dry)."""
    return tuple(k for k in keys if k.startswith("feed"))


def test_a_token_near_its_end_is_an_event_from_the_adapter(
    tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from xensocial.adapters.factory import build_adapter

    ends = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    table = (
        '\n[[channels]]\nname = "li"\nnetwork = "linkedin"\nslots = ["10:00"]\n'
        f'[channels.options]\norganization_id = "2414183"\ntoken_expires_at = "{ends}"\n'
        'api_base_url = "http://127.0.0.1:9"\n'
        '[channels.secrets]\naccess_token = "env:XS_TEST_LI_TOKEN"\n'
        f'\n[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
        'events = ["channel_warning"]\n'
    )
    monkeypatch.setenv("XS_TEST_LI_TOKEN", "a-linkedin-token-for-tests")
    s = settings_for(tmp_path, engine.url.render_as_string(hide_password=False), table)
    adapters = {"li": build_adapter(s, s.channel("li"))}
    job = NotifyJob(s, engine, clock=clock, adapters=adapters)
    assert "channel_warning:li" in job.run_once().started
    (alert,) = [r.json() for r in server.requests("POST", "/hook")]
    assert "access_token" in alert["message"] and "channels verify li" in alert["message"]


def test_a_target_whose_secret_is_not_set_is_said_at_start(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    table = (
        '\n[[notify]]\nname = "room"\nkind = "matrix"\nhomeserver = "http://127.0.0.1:9"\n'
        'room = "!r:example.org"\n[notify.secrets]\naccess_token = "env:XS_TEST_NO_SUCH_VAR"\n'
    )
    monkeypatch.delenv("XS_TEST_NO_SUCH_VAR", raising=False)
    s = settings_for(tmp_path, engine.url.render_as_string(hide_password=False), table)
    assert NotifyJob(s, engine, clock=clock).problems() == [
        "target 'room', secret 'access_token': environment variable XS_TEST_NO_SUCH_VAR is not set"
    ]
    monkeypatch.setenv("XS_TEST_NO_SUCH_VAR", "a-matrix-token")
    assert NotifyJob(s, engine, clock=clock).problems() == []
