"""`xensocial schedule` reads all channels at once (`plan_channels`, `content_queue.forecast_store`)
and must plan exactly what reading each channel alone (a list of one) plans: on a generated
queue with mixes, evergreen items (recycled, with engagement), events and reminders, pinned and
embargoed items, pauses, blackouts, claimed slots, daily caps and minimum gaps, on SQLite and
PostgreSQL, at several times."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem
from content_queue.editorial_store import EditorialStore
from content_queue.events import ReminderDue
from content_queue.metrics_store import DueSample, EngagementReading, MetricsStore
from content_queue.mix import Mix
from tests.choosing import claim
from tests.conftest import FakeClock
from tests.sqlspy import recorded_sql
from xensocial.cli.schedule import _as_dict
from xensocial.config import ChannelConfig
from xensocial.config.editorial import EditorialConfig
from xensocial.forecast import plan_channels

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = START + 60 * DAY
CATEGORIES = ["news", "resource", "article", "event", "announcement", "release"]
EDITORIAL = EditorialConfig(evergreen_categories=frozenset({"resource"}), recycle_after=20 * DAY)


def _channels() -> list[ChannelConfig]:
    mixes = [
        Mix.of({"news": 0.4, "resource": 0.3, "article": 0.2, "event": 0.1}),
        # "video" has nothing at all, "tutorial" only evergreen items posted before: the slot
        # recycles one, or asks the next category.
        Mix.of({"video": 0.3, "tutorial": 0.3, "news": 0.4}),
        None,
    ]
    zones = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Tokyo"]
    out = [
        ChannelConfig(
            name=f"c{n}",
            network="outbox",
            timezone=zones[n % len(zones)],
            slots=(time(8, 30), time(13), time(18, 15))[: 2 + n % 2],
            max_per_day=1 + n % 3,
            min_gap=timedelta(hours=6) if n % 4 == 1 else timedelta(0),
            mix=mixes[n % len(mixes)],
        )
        for n in range(9)
    ]
    out.append(ChannelConfig(name="cron", network="outbox", timezone="UTC", cron="0 0 */8 * * *"))
    return out


def _fill(engine: Engine, clock: FakeClock, names: list[str], seed: int) -> None:
    """A queue with history and something of every kind the forecast looks at."""
    rng = random.Random(seed)
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    store, metrics = EditorialStore(engine, clock), MetricsStore(engine, clock)
    published: list[tuple[int, str]] = []
    for n in range(6):
        clock.set(START + n * HOUR)
        item = queue.add(
            NewItem(
                url=f"https://example.org/{seed}/tutorial/{n}",
                channels=names[1::3],
                category="tutorial",
                evergreen=True,
            )
        )
        for d in item.deliveries:
            assert claim(ledger, d.id, "t", clock() + HOUR, channel=d.channel, now=clock())
            assert ledger.mark_published(d.id, remote_id="r", remote_url=None, published_at=clock())
            published.append((d.id, d.channel))
    for n in range(160):
        clock.set(START + n * 8 * HOUR)
        targets = rng.sample(names, rng.randint(1, 3))
        category = rng.choice(CATEGORIES)
        fields: dict[str, Any] = {"category": category, "priority": rng.choice([0, 0, 1, 2])}
        roll = rng.random()
        if roll < 0.06:
            fields["publish_at"] = NOW + rng.randint(-30, 150) * HOUR  # some pinned, due now
        elif roll < 0.12:
            fields["not_before"] = NOW + rng.randint(1, 100) * HOUR
        elif roll < 0.16:
            fields["expires_at"] = NOW + rng.randint(-50, 100) * HOUR
        if category == "event" and rng.random() < 0.6 and "publish_at" not in fields:
            fields["event_at"] = NOW + rng.randint(-5, 12) * DAY + 3 * HOUR
            fields.pop("expires_at", None)
            if fields.get("not_before") and fields["not_before"] >= fields["event_at"]:
                del fields["not_before"]
        if "publish_at" in fields and fields["publish_at"] <= clock():
            fields["publish_at"] = clock() + HOUR  # moved where it was drawn, below
        item = queue.add(
            NewItem(
                url=f"https://example.org/{seed}/{n}",
                channels=targets,
                title=f"Item {n}",
                draft=rng.random() < 0.05,
                evergreen=category == "resource" and rng.random() < 0.5,
                **fields,
            )
        )
        if n < 120 and rng.random() < 0.6 and "publish_at" not in fields:
            for channel in targets[: rng.randint(1, len(targets))]:
                delivery = item.delivery(channel)
                assert delivery is not None
                at = min(clock() + rng.randint(1, 48) * HOUR, NOW - HOUR)
                if claim(
                    ledger, delivery.id, "t", at + HOUR, channel=channel, now=at
                ) and ledger.mark_published(
                    delivery.id, remote_id=f"r{delivery.id}", remote_url=None, published_at=at
                ):
                    published.append((delivery.id, channel))
    # Near now: posts today and within the minimum gap, events announced whose reminders are
    # due now or on the forecast's last days.
    clock.set(NOW - 12 * DAY)
    for n, channel in enumerate(names):
        extra = [
            ("news", None, NOW - (2 + n % 5) * HOUR),
            ("event", NOW + 3 * DAY + HOUR, NOW - 10 * DAY),
            ("event", NOW + 13 * DAY + 12 * HOUR, NOW - 10 * DAY),
        ]
        for k, (category, event_at, at) in enumerate(extra):
            item = queue.add(
                NewItem(
                    url=f"https://example.org/{seed}/near/{n}/{k}",
                    channels=[channel],
                    category=category,
                    event_at=event_at,
                )
            )
            delivery = item.deliveries[0]
            assert claim(ledger, delivery.id, "t", at + HOUR, channel=channel, now=at)
            assert ledger.mark_published(
                delivery.id, remote_id="r", remote_url=None, published_at=at
            )
    clock.set(NOW - 2 * DAY)
    readings = [
        EngagementReading(
            DueSample(d, c, "r", START, timedelta(hours=age)),
            NOW - 2 * DAY,
            likes=rng.randint(0, 30),
            reposts=rng.choice([None, 1, 4]),
        )
        for d, c in published
        for age in (1, 24)
        if rng.random() < 0.5
    ]
    metrics.record_engagement(readings)
    for channel in names[:3]:  # recycles made, and reminders of events announced
        for green in store.evergreens(channel, clock())[:2]:
            store.make_recycle(green, by="t")
        for coming in store.events(channel, clock(), (7 * DAY, DAY), until=NOW + 20 * DAY):
            store.make_reminder(ReminderDue(coming, 7 * DAY), "soon", by="t")
    clock.set(NOW - HOUR)
    ledger.pause(names[2], "token revoked", by="t")
    ledger.add_blackout(NOW + 30 * HOUR, NOW + 40 * HOUR, reason="conference", channels=[names[4]])
    ledger.add_blackout(NOW + 3 * DAY, NOW + 3 * DAY + 6 * HOUR, reason="all quiet")
    ledger.claim_slot(names[0], NOW + 23 * HOUR + 30 * 60 * timedelta(seconds=1), "other")
    clock.set(NOW)


def test_schedule_read_at_once_plans_what_each_channel_read_alone_plans(
    engine: Engine, clock: FakeClock
) -> None:
    channels = _channels()
    _fill(engine, clock, [c.name for c in channels], seed=len(engine.dialect.name))
    ledger = Ledger(engine, clock)
    blackouts = ledger.blackouts(ending_after=NOW)
    reasons: set[str] = set()
    for at in (NOW, NOW + 5 * HOUR, NOW + 2 * DAY + 7 * HOUR):
        until = at + 7 * DAY
        together = plan_channels(
            channels, ledger, at, until, blackouts=blackouts, editorial=EDITORIAL
        )
        for channel, plan in zip(channels, together, strict=True):
            [alone] = plan_channels(
                [channel], ledger, at, until, blackouts=blackouts, editorial=EDITORIAL
            )
            assert _as_dict(plan) == _as_dict(alone), channel.name
            reasons.update((s.reason or s.skipped or "").split(" (")[0] for s in plan.slots)
    # The queue made the forecast walk every path it has.
    for reason in ("pinned", "reminder", "category due", "evergreen: category due", "priority"):
        assert reason in reasons, sorted(reasons)
    assert any(r.startswith("paused") for r in reasons), sorted(reasons)
    assert any(r.startswith("blackout") for r in reasons), sorted(reasons)
    assert any(r.startswith("daily cap") for r in reasons), sorted(reasons)


def test_schedule_reads_start_from_the_channels_not_the_history(
    engine: Engine, clock: FakeClock
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses by its statistics; SQLite has none, so the queries must")
    channels = _channels()
    _fill(engine, clock, [c.name for c in channels], seed=3)
    ledger = Ledger(engine, clock)
    # Many channels, as a deployment has: the longer the IN (...) list, the more SQLite was
    # tempted to walk every approved item instead.
    quiet = [
        ChannelConfig(name=f"q{n}", network="outbox", timezone="UTC", slots=(time(9),))
        for n in range(60)
    ]
    with recorded_sql(engine) as seen:
        plan_channels([*channels, *quiet], ledger, NOW, NOW + 7 * DAY, editorial=EDITORIAL)
    with engine.connect() as conn:
        plans = [
            "\n".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, p))
            for sql, p in seen
        ]
    assert not [p for p in plans if re.search(r"SCAN (?!anon_)", p)], plans  # no table read through
    # The candidates: the channels' pending deliveries in rank order, each item by its key.
    [candidates] = [
        p for p, (sql, _) in zip(plans, seen, strict=True) if "ORDER BY deliveries.channel" in sql
    ]
    assert candidates.splitlines()[0].startswith(
        "SEARCH deliveries USING INDEX ix_deliveries_selection"
    )
    assert "TEMP B-TREE" not in candidates, candidates
