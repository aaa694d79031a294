"""The database connection lost mid-post (PostgreSQL, the daemon as a real subprocess).

The daemon reaches PostgreSQL through a TCP proxy that the test cuts while a post is in flight:
the post goes out (the outbox is written) but its `published` commit cannot be made. The daemon
must neither exit nor post again: once the database is back, it settles that delivery by
looking it up (found: `published`) and goes on with the rest, each item out exactly once.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from content_queue import ContentQueue, NewItem
from tests.chaos.cluster import daemon_env, json_lines, spawn_daemon, wait_until
from tests.fakes.tcpproxy import TcpProxy
from tests.storage.replicas.conftest import write_outbox_config

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ITEMS = 8


def _state_count(engine: Engine, state: str) -> int:
    with engine.connect() as conn:
        n = conn.scalar(text("SELECT count(*) FROM deliveries WHERE state = :s"), {"s": state})
        return int(n or 0)


def _start(engine: Engine, proxy: TcpProxy, root: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`xensocial run` reaching the test's database through `proxy`; the process and its log."""
    through = make_url(engine.url).set(host="127.0.0.1", port=proxy.port)
    config = write_outbox_config(
        root / "xensocial.toml",
        through.render_as_string(hide_password=False),
        root / "outbox.jsonl",
        delay="400ms",  # a window to cut the database in, between `publishing` and the write
    )
    log = root / "run.log"
    return spawn_daemon(config, daemon_env(root, XENSOCIAL_IDENTITY="social-1"), log), log


def _proxy(engine: Engine) -> TcpProxy:
    return TcpProxy(engine.url.host or "127.0.0.1", engine.url.port or 5432)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_database_that_does_not_answer_at_start_is_exit_1(engine: Engine, tmp_path: Path) -> None:
    with _proxy(engine) as proxy:
        proxy.cut()
        proc, log = _start(engine, proxy, tmp_path)
        code = proc.wait(30)
    assert code == 1, log.read_text()
    [failed] = [r for r in json_lines(log) if r.get("event") == "startup_failed"]
    assert "database error" in failed["reason"]


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_lost_database_connection_mid_post_posts_nothing_twice(
    engine: Engine, tmp_path: Path
) -> None:
    queue = ContentQueue(engine)
    for i in range(ITEMS):
        queue.add(NewItem(url=f"https://example.org/db-lost/{i}", channels=("demo",)))
    outbox = tmp_path / "outbox.jsonl"
    with _proxy(engine) as proxy:
        proc, log = _start(engine, proxy, tmp_path)
        try:
            assert wait_until(lambda: _state_count(engine, "published") >= 2, 60), log.read_text()
            # The moment a post is under way (committed `publishing`, outbox not yet written).
            assert wait_until(lambda: _state_count(engine, "publishing") == 1, 30, poll=0.01)
            proxy.cut()
            committed = _state_count(engine, "published")  # the daemon can commit no more
            # The post under way went out anyway: one line more than what was committed.
            assert wait_until(lambda: len(json_lines(outbox)) == committed + 1, 10)
            # A few slots with no database at all, then it comes back.
            assert wait_until(lambda: log.read_text().count('"slot_crashed"') >= 2, 15)
            proxy.restore()
            done = wait_until(lambda: _state_count(engine, "published") == ITEMS, 60)
            assert proc.poll() is None, log.read_text()[-3000:]  # it never gave up
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            code = proc.wait(20)
    records = json_lines(log)
    assert done, (_state_count(engine, "published"), log.read_text()[-3000:])
    assert code == 0
    counts = Counter(str(line["url"]) for line in json_lines(outbox))
    assert sorted(counts.values()) == [1] * ITEMS, counts  # every item out, once
    settled = [r for r in records if r.get("event") == "reconciled"]
    assert [r["action"] for r in settled] == ["published"]  # the lost commit, recovered
