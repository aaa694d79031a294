"""Posts at once per network: a slot storm is served in parallel, within each network's limit.

The storm test runs the real daemon (a subprocess) with 24 channels, six on each of X, Mastodon,
Facebook and the outbox, all with the same two slots a few seconds apart and two items each,
against the fake servers answering after 150 ms. Mastodon is limited to 2 posts at once, the
others to 3: the fake servers' own count of requests in flight must reach the limit (so a
daemon posting one at a time fails) and never pass it (so one ignoring the limit fails), every
channel must post once per slot, and the ledger must hold every channel's claim of both slots
(the second proves each channel's next slot was scheduled after the storm).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.chaos.cluster import daemon_env
from xensocial.concurrency import NetworkLimits
from xensocial.config import PublishingConfig

from .storm import (
    Daemons,
    StormNetworks,
    judge,
    queue_items,
    slot_claims,
    storm_channels,
    whole_second,
    write_config,
)

LIMITS = "posts_at_once = 3\nposts_at_once_per_network = { mastodon = 2 }"


@pytest.mark.e2e
def test_slot_storm_stays_within_each_networks_limit(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    channels = storm_channels(24)
    queue_items(url, [name for name, _ in channels], per_channel=2)
    with StormNetworks(tmp_path / "outbox.jsonl", latency=0.15) as networks:
        first = whole_second(datetime.now(UTC) + timedelta(seconds=7))
        slots = [first, first + timedelta(seconds=4)]
        config = write_config(
            tmp_path / "storm.toml",
            database_url=url,
            networks=networks,
            channels=channels,
            slots=slots,
            publishing=LIMITS,
        )
        daemons = Daemons(tmp_path, config, networks.env)
        daemons.start(["storm-1"])
        try:
            assert daemons.wait_ready(timeout=30), daemons.log_tail()
            deadline = time.monotonic() + 40
            while networks.count() < 2 * len(channels) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # a post out twice would show up now
            posts = networks.posts()
        finally:
            codes = daemons.stop()
        peaks = networks.peaks()
    assert codes == {"storm-1": 0}, daemons.log_tail()
    verdict = judge(posts, channels, slots)
    assert verdict.broken == [], (verdict.broken, daemons.log_tail())
    assert verdict.posted == 48
    # Reached and never passed: 6 channels per network on one slot, 150 ms per request.
    assert peaks["mastodon"] == 2, peaks
    assert 2 <= peaks["x"] <= 3 and 2 <= peaks["facebook"] <= 3, peaks
    claims = slot_claims(url, first)
    for slot in slots:
        mine = {channel: outcome for channel, at, _, outcome in claims if at == slot}
        assert mine == {name: "published" for name, _ in channels}, (slot, mine)
    started = [r for r in daemons.records("storm-1") if r.get("event") == "scheduling"]
    assert started[0]["posts_at_once"] == {"facebook": 3, "mastodon": 2, "outbox": 3, "x": 3}


def test_limits_cover_the_networks_in_use_only() -> None:
    publishing = PublishingConfig(
        posts_at_once=5, posts_at_once_per_network={"x": 2, "linkedin": 1}
    )
    limits = NetworkLimits(publishing, ["x", "outbox", "x", "mastodon"])
    assert limits.limits == {"mastodon": 5, "outbox": 5, "x": 2}
    assert limits.workers == 12
    assert limits.connections > limits.workers  # room for the rest of the daemon
    assert set(limits.executors()) == {"network:mastodon", "network:outbox", "network:x"}


def test_gate_admits_the_limit_and_no_more() -> None:
    limits = NetworkLimits(PublishingConfig(posts_at_once=2), ["x"])
    with limits.gate("x"), limits.gate("x"):
        gate = limits._gates["x"]
        assert not gate.acquire(blocking=False)  # a third waits
    assert gate.acquire(blocking=False)
    gate.release()
    with limits.gate("not-configured"):
        pass  # a network no channel uses has nothing to wait for


CHANNEL = '[[channels]]\nname = "demo"\nnetwork = "outbox"\nslots = ["09:30"]\n'


@pytest.mark.parametrize(
    ("publishing", "key", "words"),
    [
        ("posts_at_once = 0", "publishing.posts_at_once", "from 1 to 64, got 0"),
        ("posts_at_once = 65", "publishing.posts_at_once", "from 1 to 64, got 65"),
        ('posts_at_once = "4"', "publishing.posts_at_once", "a whole number"),
        ("posts_at_once = true", "publishing.posts_at_once", "a whole number"),
        (
            "posts_at_once_per_network = 2",
            "publishing.posts_at_once_per_network",
            "a table of network = number",
        ),
        (
            "posts_at_once_per_network = { twitter = 2 }",
            "publishing.posts_at_once_per_network.twitter",
            "no adapter named 'twitter' is installed",
        ),
        (
            "posts_at_once_per_network = { x = 2.5 }",
            "publishing.posts_at_once_per_network.x",
            "got 2.5",
        ),
    ],
)
def test_bad_limits_stop_the_daemon_naming_the_key(
    tmp_path: Path, publishing: str, key: str, words: str
) -> None:
    config = tmp_path / "xensocial.toml"
    config.write_text(f"[publishing]\n{publishing}\n\n{CHANNEL}", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(config), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=daemon_env(tmp_path),
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if f"{config}: {key}: " in line]
    assert len(lines) == 1 and words in lines[0], done.stderr


def test_good_limits_are_read(tmp_path: Path) -> None:
    from xensocial.config import load_settings

    config = tmp_path / "xensocial.toml"
    config.write_text(f"[publishing]\n{LIMITS}\n\n{CHANNEL}", encoding="utf-8")
    publishing = load_settings(config, env={}).publishing
    assert publishing.posts_at_once == 3
    assert publishing.posts_at_once_for("mastodon") == 2
    assert publishing.posts_at_once_for("x") == 3
    assert PublishingConfig().posts_at_once == 4  # the documented default


def test_the_database_pool_holds_a_connection_per_thread(tmp_path: Path) -> None:
    from content_queue.db import make_engine

    limits = NetworkLimits(PublishingConfig(posts_at_once=16), ["x", "mastodon", "outbox"])
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}", connections=limits.connections)
    try:  # SQLAlchemy's default pool (5 + 10 overflow) would make the 16th thread wait
        assert engine.pool.size() == 48 + 16  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    memory = make_engine("sqlite://", connections=limits.connections)  # one connection anyway
    memory.dispose()
