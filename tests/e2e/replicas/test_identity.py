"""Replica identities, with the daemon as real subprocesses on one database (both backends).

Each replica signs every log line and every claim with its identity; a second live process
started under an identity already in use is detected at start and says so.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, NewItem
from tests.chaos.cluster import daemon_env, json_lines, spawn_daemon, wait_until
from tests.storage.replicas.conftest import write_outbox_config

pytestmark = pytest.mark.e2e


class Run:
    """One `xensocial run` process under a given identity, logging to its own file."""

    def __init__(self, root: Path, config: Path, name: str, identity: str) -> None:
        self.log = root / f"{name}.log"
        env = daemon_env(root / name, XENSOCIAL_IDENTITY=identity)
        self.proc = spawn_daemon(config, env, self.log)

    def records(self) -> list[dict[str, Any]]:
        return json_lines(self.log)

    def events(self) -> list[str]:
        return [str(r.get("event")) for r in self.records()]

    def scheduled(self) -> bool:
        return "scheduling" in self.events() or self.proc.poll() is not None

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None


def test_a_second_process_with_a_live_identity_is_detected_at_start(
    engine: Engine, tmp_path: Path
) -> None:
    queue = ContentQueue(engine)
    for i in range(3):
        queue.add(NewItem(url=f"https://example.org/id/{i}", channels=("demo",)))
    config = write_outbox_config(
        tmp_path / "xensocial.toml",
        engine.url.render_as_string(hide_password=False),
        tmp_path / "outbox.jsonl",
    )
    runs: list[Run] = []
    try:
        first = Run(tmp_path, config, "first", "social-1")
        runs.append(first)
        assert wait_until(first.scheduled, 30), first.log.read_text()
        twin = Run(tmp_path, config, "twin", "social-1")  # the same name, by mistake
        other = Run(tmp_path, config, "other", "social-2")
        runs += [twin, other]
        assert wait_until(lambda: twin.scheduled() and other.scheduled(), 30)
        assert wait_until(lambda: _published(engine) == 3, 30)
    finally:
        codes = [run.stop() for run in runs]
    assert codes == [0, 0, 0], [r.log.read_text()[-2000:] for r in runs]

    assert "identity_in_use" in twin.events()
    assert "identity_in_use" not in first.events() + other.events()
    [warning] = [r for r in twin.records() if r.get("event") == "identity_in_use"]
    assert warning["level"] == "warning" and "'social-1'" in warning["reason"]
    for run, identity in ((first, "social-1"), (twin, "social-1"), (other, "social-2")):
        unsigned = [r for r in run.records() if r.get("identity") != identity]
        assert not unsigned, unsigned[:3]  # every line names the replica that wrote it
    with engine.connect() as conn:
        claimers = set(conn.scalars(text("SELECT DISTINCT claimed_by FROM slot_claims")))
    assert claimers and claimers <= {"social-1", "social-2"}


def _published(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(text("SELECT count(*) FROM deliveries WHERE state = 'published'")) or 0
        )
