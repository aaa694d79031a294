"""Running the daemon as a real subprocess against a real SQLite file and outbox."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from xensocial.migrate import upgrade

CONFIG = """\
database_url = "sqlite:///queue.db"
timezone = "UTC"
log_format = "json"
identity = "e2e-host"

[publishing]
backoff = "100ms"

# No metrics endpoint by default: tests run side by side, and a port another run holds would
# log an error line (tests/storage/exports turns it on, on a free port).
[http]
listen = ""

[[channels]]
name = "demo"
network = "outbox"
cron = "* * * * * *"
max_per_day = 10000

[channels.options]
path = "outbox.jsonl"
delay = "{delay}"
"""


class Site:
    """A data directory with a configuration, a migrated database and queued items."""

    def __init__(self, root: Path, delay: str) -> None:
        self.root = root
        self.config = root / "xensocial.toml"
        self.config.write_text(CONFIG.format(delay=delay))
        self.db = root / "queue.db"
        self.outbox = root / "outbox.jsonl"
        self.runs = 0
        self.procs: list[subprocess.Popen[bytes]] = []

    def add_items(self, n: int) -> list[int]:
        engine = make_engine(f"sqlite:///{self.db}")
        try:
            upgrade(engine)
            queue = ContentQueue(engine)
            return [
                queue.add(
                    NewItem(
                        url=f"https://example.org/e2e/{i}", title=f"Item {i}", channels=["demo"]
                    )
                ).id
                for i in range(n)
            ]
        finally:
            engine.dispose()

    def start(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
        env["XENSOCIAL_DATA_DIR"] = str(self.root)
        for systemd in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(systemd, None)
        env.update(extra_env or {})
        self.runs += 1
        log = (self.root / f"run-{self.runs}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "xensocial", "--config", str(self.config), "run", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "".join(p.read_text() for p in sorted(self.root.glob("run-*.log")))

    def query(self, sql: str) -> list[tuple[object, ...]]:
        # A plain read-only connection: it never takes the write lock the daemon needs.
        if not self.db.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []  # tables not created yet
        finally:
            conn.close()

    def delivery_states(self) -> dict[str, int]:
        return dict(self.query("SELECT state, count(*) FROM deliveries GROUP BY state"))  # type: ignore[arg-type]

    def wait_for(self, condition: Callable[[], bool], timeout: float, poll: float = 0.02) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(poll)
        return False

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(10)


@pytest.fixture
def site_factory(tmp_path: Path) -> Iterator[Callable[[str], Site]]:
    made: list[Site] = []

    def make(delay: str = "300ms") -> Site:
        site = Site(tmp_path, delay)
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop_all()
