"""Pinned times in the daemon: `PinnedJobs` gives each coming pinned time a date job in a real
APScheduler (and finds items pinned while the daemon runs), and `xensocial run` as a subprocess
posts a pinned item at its time, outside the channel's slots, once."""

from __future__ import annotations

import json
import signal
import time as clock_time
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, NewItem
from content_queue.editorial_store import EditorialStore
from tests.conftest import FakeClock
from tests.daemon.conftest import make_channel
from tests.e2e.conftest import Site
from tests.sqlspy import recorded_sql
from xensocial.pinned import PinnedJobs


@pytest.fixture
def scheduler() -> Iterator[object]:
    from apscheduler.schedulers.background import BackgroundScheduler

    made = BackgroundScheduler(timezone="UTC")
    made.start(paused=True)  # jobs are added and listed, never run
    yield made
    made.shutdown(wait=False)


def test_each_coming_pinned_time_gets_one_date_job(
    engine: Engine, clock: FakeClock, scheduler: object
) -> None:
    queue = ContentQueue(engine, clock)
    channels = [make_channel("a", slots=(time(9),)), make_channel("b", slots=(time(9),))]
    ran: list[tuple[str, datetime]] = []
    jobs = PinnedJobs(
        channels, EditorialStore(engine, clock), lambda c, at: ran.append((c.name, at)), clock
    )
    soon = clock() + timedelta(seconds=70)
    queue.add(NewItem(url="https://example.org/1", channels=["a", "b"], publish_at=soon))
    queue.add(NewItem(url="https://example.org/2", channels=["a"], publish_at=soon))
    queue.add(
        NewItem(
            url="https://example.org/later", channels=["a"], publish_at=soon + timedelta(hours=1)
        )
    )
    jobs.schedule(scheduler)
    names = sorted(j.id for j in scheduler.get_jobs())  # type: ignore[attr-defined]
    assert names == [
        "pinned-rescan",
        f"pinned:a:{soon.isoformat()}",
        f"pinned:b:{soon.isoformat()}",
    ]
    assert jobs.rescan() == []  # already scheduled: not twice
    # Pinned while the daemon runs: the next rescan (every minute) finds it.
    clock.advance(minutes=1)
    new = clock() + timedelta(seconds=30)
    queue.add(NewItem(url="https://example.org/3", channels=["b"], publish_at=new))
    assert jobs.rescan() == [("b", new)]
    # When a job's time comes, it runs only if an item is still pinned to it.
    job = next(j for j in scheduler.get_jobs() if j.id == f"pinned:b:{new.isoformat()}")  # type: ignore[attr-defined]
    job.func(*job.args)
    assert ran == [("b", new)]
    [item] = [i for i in queue.list_items() if i.publish_at == new]
    queue.edit_item(item.id, {"publish_at": new + timedelta(hours=2)})
    job.func(*job.args)
    assert ran == [("b", new)]  # re-pinned: nothing at the old time


def test_one_rescan_is_one_query_and_each_channel_keeps_its_own_grace(
    engine: Engine, clock: FakeClock
) -> None:
    queue = ContentQueue(engine, clock)
    missed = clock() + timedelta(minutes=1)
    soon = missed + timedelta(minutes=31)
    queue.add(NewItem(url="https://example.org/1", channels=["long", "short"], publish_at=missed))
    queue.add(NewItem(url="https://example.org/2", channels=["short"], publish_at=soon))
    clock.advance(minutes=31)  # `missed` is 30 minutes late; `soon` is a minute away
    channels = [make_channel(f"c{i}", catch_up_grace=timedelta(minutes=5)) for i in range(40)] + [
        make_channel("long", catch_up_grace=timedelta(hours=1)),
        make_channel("short", catch_up_grace=timedelta(minutes=10)),
    ]
    jobs = PinnedJobs(channels, EditorialStore(engine, clock), lambda c, at: None, clock)
    with recorded_sql(engine) as selects:
        found = jobs.rescan()
    # Within the hour's grace for "long", beyond the 10 minutes of "short", which still gets
    # its coming time; the 40 channels with nothing pinned cost nothing more.
    assert sorted(found) == [("long", missed), ("short", soon)]
    assert len(selects) == 1


def test_a_pinned_time_missed_within_the_grace_is_run_at_start(
    engine: Engine, clock: FakeClock, scheduler: object
) -> None:
    queue = ContentQueue(engine, clock)
    missed = clock() + timedelta(minutes=1)
    queue.add(NewItem(url="https://example.org/1", channels=["a"], publish_at=missed))
    queue.add(
        NewItem(
            url="https://example.org/2", channels=["a"], publish_at=missed - timedelta(seconds=30)
        )
    )
    clock.advance(minutes=30)  # the daemon was down; the channel's grace is 1 h
    channel = make_channel("a", catch_up_grace=timedelta(hours=1))
    jobs = PinnedJobs([channel], EditorialStore(engine, clock), lambda c, at: None, clock)
    assert [at for _, at in jobs.rescan()] == [missed - timedelta(seconds=30), missed]
    assert (
        PinnedJobs(
            [make_channel("a", catch_up_grace=timedelta(minutes=10))],
            EditorialStore(engine, clock),
            lambda c, at: None,
            clock,
        ).rescan()
        == []
    )  # beyond the grace: the next regular slot takes them, first


# -- the daemon as a subprocess -----------------------------------------------------------------

# The channel's one slot a day is 12 hours from now: neither due nor missed within the
# catch-up grace while the test runs, whatever the time of day (a fixed "03:00" was caught up
# at start by a run at 03:50, which then posted the plain item).
SPARSE = """
[[channels]]
name = "demo"
network = "outbox"
slots = ["{slot}"]
max_per_day = 1
[channels.options]
path = "outbox.jsonl"
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = Site(tmp_path, "0s")
    text = made.config.read_text(encoding="utf-8")
    slot = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")
    sparse = SPARSE.format(slot=slot)
    made.config.write_text(text[: text.index("[[channels]]")] + sparse, encoding="utf-8")
    yield made
    made.stop_all()


@pytest.mark.e2e
def test_the_daemon_posts_a_pinned_item_at_its_time(site: Site) -> None:
    from content_queue import make_engine
    from xensocial.migrate import upgrade

    engine = make_engine(f"sqlite:///{site.db}")
    upgrade(engine)
    queue = ContentQueue(engine)
    now = datetime.now(UTC)
    pinned_at = (now + timedelta(seconds=6)).replace(microsecond=0)
    item = queue.add(NewItem(url="https://example.org/p", channels=["demo"], publish_at=pinned_at))
    queue.add(NewItem(url="https://example.org/plain", channels=["demo"]))
    engine.dispose()
    proc = site.start()
    assert site.wait_for(lambda: site.outbox.exists(), timeout=20), site.logs()[-3000:]
    lines = [json.loads(line) for line in site.outbox.read_text().splitlines()]
    assert [line["item_id"] for line in lines] == [item.id]  # the plain item waits for the slot
    late = clock_time.time() - pinned_at.timestamp()
    assert 0 <= late < 3, late
    claimed = [(pinned_at.replace(tzinfo=None).isoformat(" ") + ".000000", "published")]
    assert site.wait_for(
        lambda: site.query("SELECT slot_at, outcome FROM slot_claims") == claimed, timeout=10
    ), site.query("SELECT slot_at, outcome FROM slot_claims")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert '"pinned_scheduled"' in site.logs()
