"""SQLite, embedded: staff write with the CLI while the daemon posts, and nobody is ever locked out.

The daemon (a real process) posts to the outbox every second on a seconds cron. Meanwhile four
staff members (each a thread starting real `python -m xensocial` processes one after another)
add items, import CSV files, pause and resume a channel, and approve and cancel drafts, many
times. Every command must succeed (no "database is locked"), every write must be in the
database afterwards, and the daemon must have kept posting the whole time.

What makes it work is `content_queue.db`: WAL (readers never block the writer), a busy timeout
(a writer waits for the lock instead of failing) and BEGIN IMMEDIATE (a transaction takes the
write lock when it starts, so two writers queue up instead of one failing on a lock upgrade).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from xensocial.migrate import upgrade

from .conftest import Site

pytestmark = pytest.mark.e2e

CONFIG = """\
database_url = "sqlite:///queue.db"
timezone = "UTC"
log_format = "json"
identity = "concurrency-host"

[publishing]
backoff = "100ms"

[intake]
fetch_link_details = false

# No metrics endpoint: this test is about the database, and a port held by anything else on the
# machine would log an error line.
[http]
listen = ""

[[channels]]
name = "demo"
network = "outbox"
cron = "* * * * * *"
max_per_day = 100000
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "side"
network = "outbox"
cron = "* * * * * *"
max_per_day = 100000
[channels.options]
path = "outbox-side.jsonl"
"""

ROUNDS = 8  # commands per staff member; 4 members -> 32 CLI processes beside the daemon
BACKLOG = 120  # approved items for `demo`: more than the daemon can post during the test
DRAFTS = 2 * ROUNDS  # drafts for `side`, approved or cancelled by the reviewer


def seed(site: Site) -> list[int]:
    """The demo backlog (approved) and the reviewer's drafts for `side`; the drafts' ids."""
    engine = make_engine(f"sqlite:///{site.db}")
    try:
        upgrade(engine)
        queue = ContentQueue(engine)
        for i in range(BACKLOG):
            queue.add(
                NewItem(
                    url=f"https://example.org/backlog/{i}", title=f"Backlog {i}", channels=["demo"]
                )
            )
        return [  # titled: a draft without words cannot be approved
            queue.add(
                NewItem(
                    url=f"https://example.org/draft/{i}",
                    title=f"Draft {i}",
                    channels=["side"],
                    draft=True,
                )
            ).id
            for i in range(DRAFTS)
        ]
    finally:
        engine.dispose()


class Staff:
    """Runs CLI commands as separate processes and keeps every one that did not succeed."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
        self.env["XENSOCIAL_DATA_DIR"] = str(site.root)
        self.failures: list[str] = []
        self.commands = 0
        self._lock = threading.Lock()

    def xs(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "xensocial", "--config", str(self.site.config), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        with self._lock:
            self.commands += 1
            if done.returncode != 0 or "locked" in done.stderr:
                self.failures.append(f"{args}: exit {done.returncode}: {done.stderr.strip()}")

    def work(self, *tasks: Callable[[], None]) -> None:
        threads = [threading.Thread(target=task) for task in tasks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def posts(site: Site) -> list[dict[str, object]]:
    if not site.outbox.exists():
        return []
    return [json.loads(line) for line in site.outbox.read_text().splitlines() if line.strip()]


def test_cli_writers_never_fail_while_the_daemon_posts(site_factory: Callable[..., Site]) -> None:
    site = site_factory("0s")
    site.config.write_text(CONFIG)
    drafts = seed(site)
    approve, cancel = drafts[:ROUNDS], drafts[ROUNDS:]
    daemon = site.start()
    assert site.wait_for(lambda: len(posts(site)) >= 2, timeout=30), site.logs()
    staff = Staff(site)

    def adder() -> None:
        for i in range(ROUNDS):
            staff.xs("queue", "add", f"https://example.org/added/{i}", "--title", f"Added {i}",
                     "--channel", "side", "--draft")  # fmt: skip

    def importer() -> None:
        for i in range(ROUNDS):
            csv = site.root / f"import-{i}.csv"
            rows = "".join(
                f"https://example.org/imported/{i}/{j},Row {j},,,,side,,\n" for j in range(5)
            )
            csv.write_text("url,title,text,category,tags,channels,not_before,priority\n" + rows)
            staff.xs("queue", "import", str(csv))

    def pauser() -> None:
        for i in range(ROUNDS):
            if i % 2 == 0:
                staff.xs("channels", "pause", "side", "--reason", f"round {i}")
            else:
                staff.xs("channels", "resume", "side")

    def reviewer() -> None:
        for a, c in zip(approve, cancel, strict=True):
            staff.xs("queue", "approve", str(a))
            staff.xs("queue", "cancel", str(c))

    started, before = time.monotonic(), len(posts(site))
    staff.work(adder, importer, pauser, reviewer)
    elapsed = time.monotonic() - started
    assert daemon.poll() is None, site.logs()[-3000:]
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(15) == 0, site.logs()[-3000:]

    assert staff.commands == 5 * ROUNDS
    assert staff.failures == [], staff.failures
    logs = site.logs()
    assert "locked" not in logs, [line for line in logs.splitlines() if "locked" in line]
    assert '"level": "error"' not in logs, logs[-3000:]

    # Every write landed.
    urls = {row[0] for row in site.query("SELECT url FROM items")}
    assert {f"https://example.org/added/{i}" for i in range(ROUNDS)} <= urls
    assert {
        f"https://example.org/imported/{i}/{j}" for i in range(ROUNDS) for j in range(5)
    } <= urls
    states = dict(site.query("SELECT id, state FROM items"))
    assert {states[a] for a in approve} == {"approved"}
    assert {states[c] for c in cancel} == {"cancelled"}
    assert site.query("SELECT paused FROM channel_states WHERE channel = 'side'") in (
        [(0,)],
        [(False,)],
    )

    # The daemon kept posting while the staff wrote: about one post a second, no long stall.
    demo = [p for p in posts(site) if p["channel"] == "demo"]
    assert len(demo) - before >= elapsed / 3, (len(demo), before, elapsed)
    times = sorted(str(p["published_at"]) for p in demo)
    gaps = [
        (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()
        for a, b in zip(times, times[1:], strict=False)
    ]
    assert max(gaps) < 10, max(gaps)
    assert len({p["item_id"] for p in demo}) == len(demo)  # and never twice
