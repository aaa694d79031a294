"""Daemon replicas as real subprocesses, and a read-only view of their shared database.

`Cluster` starts `python -m xensocial run` once per identity (each with its own data directory,
all with one configuration and one database), kills them with SIGKILL and restarts them; every
run's output goes to its own log file. `Observer` reads the database while the daemons write
it, without ever taking SQLite's write lock (a plain read-only connection) and without holding
a PostgreSQL transaction open.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["Cluster", "Observer", "daemon_env", "json_lines", "spawn_daemon", "wait_until"]


def wait_until(condition: Callable[[], bool], timeout: float, poll: float = 0.1) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return condition()


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file (a daemon's log, the outbox); a line torn by a
    SIGKILL, or that is not JSON (a traceback), is skipped. A missing file has none."""
    if not path.exists():
        return []
    out = []
    for raw in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def daemon_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a daemon: no XENSOCIAL_* or systemd leftovers, its own
    data directory, and `extra` (e.g. XENSOCIAL_IDENTITY, secrets)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    for systemd in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(systemd, None)
    env["XENSOCIAL_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def spawn_daemon(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m xensocial run` with `config`, its output (stdout and stderr) into `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "xensocial", "--config", str(config), "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


class Cluster:
    """Replicas of the daemon, one per identity, over one configuration file."""

    def __init__(
        self, root: Path, config: Path, identities: Sequence[str], env: dict[str, str]
    ) -> None:
        self.root, self.config, self.identities = root, config, list(identities)
        self.env = env
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: dict[str, Path] = {}  # identity -> its current run's log
        self._ready: dict[str, datetime] = {}  # identity -> when its current run was scheduling
        self._runs = 0
        self._lock = threading.Lock()

    def _env(self, identity: str) -> dict[str, str]:
        return daemon_env(self.root / identity, **self.env, XENSOCIAL_IDENTITY=identity)

    def start(self, identity: str) -> None:
        with self._lock:
            self._runs += 1
            path = self.root / f"run-{self._runs:03d}-{identity}.log"
            self._logs[identity] = path
            self._ready.pop(identity, None)
            self._procs[identity] = spawn_daemon(self.config, self._env(identity), path)

    def cli(self, *args: str, identity: str = "staff") -> subprocess.CompletedProcess[str]:
        """Run a `xensocial` command with the replicas' configuration and database."""
        return subprocess.run(
            [sys.executable, "-m", "xensocial", "--config", str(self.config), *args],
            env=self._env(identity),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def running(self) -> list[str]:
        with self._lock:
            return [i for i, p in self._procs.items() if p.poll() is None]

    def up_for(self, identity: str) -> float | None:
        """Seconds since the replica's current run started scheduling (None: not yet)."""
        with self._lock:
            path, ready = self._logs.get(identity), self._ready.get(identity)
        if ready is None and path is not None:
            for raw in path.read_text(errors="replace").splitlines():
                if '"event": "scheduling"' in raw:
                    ready = datetime.fromisoformat(json.loads(raw)["timestamp"])
                    with self._lock:
                        self._ready[identity] = ready
                    break
        return None if ready is None else (datetime.now(UTC) - ready).total_seconds()

    def exited(self) -> dict[str, int]:
        """Replicas that stopped on their own, with their exit codes (none should)."""
        with self._lock:
            return {i: rc for i, p in self._procs.items() if (rc := p.poll()) is not None}

    def kill(self, identity: str) -> None:
        with self._lock:
            proc = self._procs.pop(identity)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def terminate_all(self) -> dict[str, int | None]:
        """SIGTERM every replica; their exit codes (None: had to be killed)."""
        with self._lock:
            procs = dict(self._procs)
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for identity, proc in procs.items():
            try:
                codes[identity] = proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
                codes[identity] = None
        return codes

    def kill_all(self) -> None:
        with self._lock:
            procs, self._procs = list(self._procs.values()), {}
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    def log_records(self) -> list[dict[str, Any]]:
        """Every JSON log line of every run (a line torn by SIGKILL is skipped)."""
        return [r for path in sorted(self.root.glob("run-*.log")) for r in json_lines(path)]

    def log_tail(self, chars: int = 4000) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.root.glob("run-*.log")))[
            -chars:
        ]


class Observer:
    """Read-only queries on the replicas' database, safe while they write."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite_file = (
            engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        )

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_file is not None:
            lite = sqlite3.connect(f"file:{self.sqlite_file}?mode=ro", uri=True, timeout=5)
            try:
                return lite.execute(sql).fetchall()
            finally:
                lite.close()
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]

    def owners_in_flight(self) -> list[str]:
        """The identities holding a delivery `publishing` right now."""
        return [
            str(r[0])
            for r in self.rows("SELECT owner FROM deliveries WHERE state = 'publishing'")
            if r[0]
        ]
