"""`xensocial metrics poll` end to end on a SQLite file, and the `[metrics]` table's checks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from content_queue.db import make_engine
from content_queue.metrics_store import MetricsStore
from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from tests.stored_rows import engagement_samples, follower_samples
from xensocial.adapters.base import ChannelContext, Post
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.config import load_settings
from xensocial.errors import ConfigError

from .conftest import published

METRICS = (
    '\n[metrics]\nages = ["1h", "1d"]\nfollowers_every = "12h"\n[metrics.budget]\noutbox = 31\n'
)


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    harness = CliHarness(
        write_config(tmp_path, text=CONFIG + METRICS), tmp_path / "data" / "queue.db", clock
    )
    harness.ok("db", "upgrade")
    return harness


def test_poll_collects_and_reports(cli: CliHarness, clock: FakeClock, tmp_path: Path) -> None:
    data = tmp_path / "data"
    adapter = OutboxAdapter(
        ChannelContext("demo", options={"path": "outbox-demo.jsonl"}, data_dir=data, clock=clock)
    )
    sent = adapter.publish(Post("k1", "demo", 1, "hello", "https://example.org/a"))
    engine = make_engine(f"sqlite:///{cli.db}")
    published(engine, clock, "demo", [sent.remote_id], [clock()])
    clock.advance(hours=2)

    rows = cli.json("metrics", "poll", "--channel", "demo")
    assert rows == [
        {
            "channel": "demo",
            "network": "outbox",
            "followers_taken": True,
            "followers": None,
            "followers_skipped": False,
            "samples": 1,
            "requests": 2,
            "reads": 2,  # the outbox counts requests: one read each
            "skipped": 0,
            "error": None,
            "budget": 31,
            "month_reads": 2,
        }
    ]
    # Budget 31 a month for outbox (both channels), spread: by day d, at most d reads.
    # It is 2 March: both reads are spent, so "fast"'s follower count must wait.
    text = cli.ok("metrics", "poll").stdout
    assert "demo (outbox): 0 engagement samples; 0 reads in 0 requests" in text
    assert "fast (outbox): followers skipped (budget)" in text
    assert text.count("outbox budget: 2 of 31 reads") == 2  # one budget for the network
    clock.advance(days=1)  # 3 March: one more read; demo's followers take it, 1 d waits
    text = cli.ok("metrics", "poll").stdout
    assert (
        "demo (outbox): followers n/a; 0 engagement samples; 1 reads in 1 requests; 1 skipped"
        in text
    )
    # --now lifts the spread (never the monthly cap): everything due is read.
    text = cli.ok("metrics", "poll", "--now").stdout
    assert "demo (outbox): followers n/a; 1 engagement samples; 2 reads in 2 requests" in text
    assert "fast (outbox): followers n/a; 0 engagement samples; 1 reads in 1 requests" in text
    assert "outbox budget: 6 of 31 reads" in text
    store = MetricsStore(engine, clock)
    assert store.reads_spent("outbox", clock() - timedelta(days=30)) == 6
    assert [s.age_seconds for s in engagement_samples(engine)] == [3600, 86400]
    assert len(follower_samples(engine)) == 4


def test_poll_unknown_channel_is_bad_usage(cli: CliHarness) -> None:
    result = cli.run("metrics", "poll", "--channel", "nope")
    assert result.exit_code == 2 and result.stderr.startswith("error: no channel named 'nope'")


def test_metrics_defaults_and_errors(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    settings = load_settings(path)
    assert settings.metrics.ages == (
        timedelta(hours=1),
        timedelta(days=1),
        timedelta(days=7),
        timedelta(days=30),
    )
    assert settings.metrics.followers_every == timedelta(days=1)
    assert settings.metrics.budget_for("x") is None
    for bad, key in (
        ('[metrics]\nages = ["soon"]\n', "metrics.ages"),
        ('[metrics]\nfollowers_every = "0s"\n', "metrics.followers_every"),
        ("[metrics]\nbudget = 5\n", "metrics.budget"),
        ("[metrics.budget]\nx = -1\n", "metrics.budget.x"),
        ("[metrics]\nagse = []\n", "metrics.agse"),
    ):
        path = write_config(tmp_path, text=CONFIG + "\n" + bad)
        with pytest.raises(ConfigError) as info:
            load_settings(path)
        assert key in str(info.value), (bad, str(info.value))


def test_json_is_one_array(cli: CliHarness) -> None:
    assert isinstance(json.loads(cli.ok("metrics", "poll", "--json").stdout), list)
