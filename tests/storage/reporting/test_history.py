"""The report, `/metrics` and the feed read what they show, not the history kept (issue 8).

Every report query names the channels (`reporting/channels.py`), so an index serves the period's
range for each; the channels are found by one index seek each. These tests pin what must hold
for that: the channels found are exactly the table's, the report does not change when older
history is added, no query reads a whole table (on SQLite, which has no statistics to choose
by, so the schema and the query shape must), and the feed's newest posts are the newest
whatever window they are found in. bench/report.py and bench/exports.py measure the time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from content_queue.schema import Delivery, FollowerSample, SlotClaim
from tests.conftest import FakeClock
from tests.sqlspy import recorded_sql
from tests.storage.exports.conftest import seed, settings_for
from xensocial.reporting.atom import latest_posts
from xensocial.reporting.build import build_report
from xensocial.reporting.channels import channels_with_rows
from xensocial.reporting.periods import parse_month
from xensocial.reporting.prometheus import DatabaseCollector
from xensocial.reporting.published import PublishedPost, published_posts
from xensocial.reporting.render import render

from .conftest import CHANNELS, CONFIG, ZONE, Data, at, march_2026

# Tables that grow with the history; keyword_counts (a row per competitor a day) is read whole.
_HISTORY = ("deliveries", "items", "engagement_samples", "follower_samples", "slot_claims",
            "clips", "activities")  # fmt: skip


def _report_json(engine: Engine) -> dict[str, Any]:
    report = build_report(
        engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=at("2026-04-02 08:00")
    )
    document: dict[str, Any] = json.loads(render(report, "json"))
    return document


def test_the_channels_found_are_the_tables_channels(engine: Engine, data: Data) -> None:
    with engine.connect() as conn:
        assert channels_with_rows(conn, Delivery.channel).names == ()
    names = ("b", "a", "ünïcode", "A-1", "with space", "z" * 100, "a.b")
    when = at("2026-03-03 10:00")
    for n, name in enumerate(names):
        item = data.item(f"i{n}", f"Item {n}", (name,))
        data.publish(item, name, when + timedelta(hours=n))
    with engine.connect() as conn:
        found = channels_with_rows(conn, Delivery.channel)
        distinct = set(conn.execute(select(Delivery.channel).distinct()).scalars())
        assert sorted(found.names) == sorted(distinct) == sorted(names)
        assert found.as_array == (engine.dialect.name == "postgresql")
        # ... and naming them in a query selects each one's rows, and only theirs.
        some = found.only(["a", "ünïcode"])
        rows = conn.execute(select(Delivery.channel).where(some.holds(Delivery.channel)))
        assert sorted(rows.scalars()) == ["a", "ünïcode"]
        none = found.only([])
        assert conn.execute(select(Delivery.id).where(none.holds(Delivery.channel))).all() == []


def test_older_history_does_not_change_the_report(
    engine: Engine, clock: FakeClock, data: Data
) -> None:
    march_2026(engine, clock)
    before = _report_json(engine)
    # Two years earlier (so no comparison of the report reaches it): posts with engagement on
    # the configured channels and on one long gone, failures and slots.
    old = at("2024-02-10 09:00")
    for n in range(30):
        channel = (*CHANNELS, "gone")[n % 4]
        item = data.item(f"old-{n}", f"Old news {n} about Xen and cloud", (channel,))
        when = old + timedelta(hours=5 * n)
        if n % 10 == 9:
            data.fail(item, channel, when, "rejected: text too long")
            continue
        delivery = data.publish(item, channel, when)
        data.sample(delivery, channel, when, timedelta(days=1), likes=n, reposts=1)
    after = _report_json(engine)
    before.pop("generated_at"), after.pop("generated_at")
    assert after == before


def _plans(engine: Engine, action: Callable[[], object]) -> list[str]:
    """SQLite's plan of every query `action` makes."""
    with recorded_sql(engine, ("SELECT", "WITH")) as seen:
        action()
    with engine.connect() as conn:
        return [
            "\n".join(
                str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, args)
            )
            for sql, args in seen
        ]


def test_no_query_of_the_report_reads_a_whole_table(engine: Engine, clock: FakeClock) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses by its statistics; SQLite has none, so the schema must")
    march_2026(engine, clock)
    plans = _plans(engine, lambda: _report_json(engine))
    whole = re.compile(rf"SCAN ({'|'.join(_HISTORY)})\b")
    assert not [plan for plan in plans if whole.search(plan)], plans
    # The channels themselves: one seek each, on each table's channel index.
    for table in (Delivery, FollowerSample, SlotClaim):
        name = table.__tablename__
        assert any(
            f"SEARCH {name} USING COVERING INDEX" in p and "(channel>?)" in p for p in plans
        ), name


def test_a_scrape_reads_no_table_row_by_row(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    """`/metrics` counts every delivery and item ever made (by state), so it reads those two
    tables' indexes whole, but nothing else: no row of the history is read or joined to its item,
    and the follower samples are not scanned (the latest per channel is one seek each)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses by its statistics; SQLite has none, so the schema must")
    seed(engine, clock)
    url = engine.url.render_as_string(hide_password=False)
    collector = DatabaseCollector(engine, settings_for(tmp_path, url), clock)
    plans = _plans(engine, lambda: list(collector.collect()))
    counted = re.compile(r"SCAN (deliveries|items) USING COVERING INDEX \w+")
    whole = re.compile(rf"SCAN ({'|'.join(_HISTORY)})\b")
    assert not [p for p in plans if whole.search(counted.sub("", p))], plans


def test_the_newest_posts_of_every_channel_whatever_their_age(engine: Engine, data: Data) -> None:
    """The feed looks for every channel's newest posts in widening windows back from the newest
    (1, 8, 64, 512 days, then all): whichever window they end in, they are the newest."""
    newest = at("2026-11-20 12:00")
    ages = [0, 0, 0.5, 3, 3, 20, 100, 100, 700, 2000]  # days before the newest post
    for n, age in enumerate(ages):
        channel = ("a", "b", "c")[n % 3]
        item = data.item(f"p{n}", f"Post {n}", (channel,))
        data.publish(item, channel, newest - timedelta(days=age))
    with engine.connect() as conn:
        every = [PublishedPost.of(row) for row in conn.execute(published_posts(newest_first=True))]
        assert len(every) == len(ages)
        for limit in range(1, len(ages) + 2):
            assert latest_posts(conn, channel=None, limit=limit) == every[:limit], limit
        assert [p.channel for p in latest_posts(conn, channel="b", limit=10)] == ["b"] * 3
