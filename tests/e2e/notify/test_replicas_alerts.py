"""Three replicas of the daemon on one database (both backends), one webhook receiver: each
event is sent once, whichever replica finds it, and its clearing once."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import Ledger
from tests.chaos.cluster import daemon_env, spawn_daemon, wait_until
from tests.fakes.notify import receivers
from tests.fakes.server import FakeServer
from tests.storage.replicas.conftest import write_outbox_config

pytestmark = pytest.mark.e2e


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        receivers(fake)
        yield fake


def said(server: FakeServer) -> Counter[tuple[str, str, str]]:
    bodies = [r.json() for r in server.requests("POST", "/hook")]
    return Counter((b["event"], b["subject"], b["phase"]) for b in bodies)


def test_three_replicas_send_each_event_once(
    engine: Engine, tmp_path: Path, server: FakeServer
) -> None:
    config = write_outbox_config(
        tmp_path / "xensocial.toml",
        engine.url.render_as_string(hide_password=False),
        tmp_path / "outbox.jsonl",
    )
    with config.open("a") as f:
        f.write(
            '\n[alerts]\ncheck_every = "1s"\n'
            f'\n[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
            'events = ["channel_paused", "queue_dry"]\n'
        )
    ledger = Ledger(engine)  # social-2 paused the channel in a slot it claimed
    ledger.claim_slot("demo", datetime.now(UTC) - timedelta(minutes=5), "social-2")
    ledger.pause("demo", "auth failed: token revoked", by="social-2")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n in (1, 2, 3):
            env = daemon_env(tmp_path / f"r{n}", XENSOCIAL_IDENTITY=f"social-{n}")
            procs.append(spawn_daemon(config, env, tmp_path / f"r{n}.log"))
        assert wait_until(lambda: ("channel_paused", "demo", "start") in said(server), 40)
        time.sleep(4)  # four more checks by each replica: nothing more is said
        assert said(server) == Counter({("channel_paused", "demo", "start"): 1})
        assert ledger.resume("demo", by="alice")
        # Resumed with an empty queue: the pause clears, and the queue is seen running dry.
        assert wait_until(lambda: ("queue_dry", "demo", "start") in said(server), 30)
        time.sleep(4)
        assert said(server) == Counter(
            {
                ("channel_paused", "demo", "start"): 1,
                ("channel_paused", "demo", "clear"): 1,
                ("queue_dry", "demo", "start"): 1,
            }
        )
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(20) for proc in procs]
    logs = [(tmp_path / f"r{n}.log").read_text()[-2000:] for n in (1, 2, 3)]
    assert codes == [0, 0, 0], logs
