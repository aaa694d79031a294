"""The daemon polls feeds as a real subprocess: entries of a feed served by the test reach the
outbox, a new entry follows on the next poll, and a broken or gone feed changes nothing for the
others. Also: the demo configuration (no --config) posts the entries of its shipped feed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fakes.server import FakeServer, Reply
from tests.storage.intake.test_feeds_ingest import NEW_ENTRY, FeedSite, fixture

pytestmark = pytest.mark.e2e

CONFIG = """\
database_url = "sqlite:///queue.db"
timezone = "UTC"
log_format = "json"

[intake]
allow_private_addresses = true
connect_timeout = "2s"
deadline = "5s"

[[channels]]
name = "demo"
network = "outbox"
cron = "* * * * * *"
max_per_day = 1000
[channels.options]
path = "outbox.jsonl"

[[feeds]]
name = "blog"
url = "{blog}"
auto_approve = true
initial = 2
interval = "1s"

[[feeds]]
name = "broken"
url = "{broken}"
auto_approve = true
interval = "1s"

[[feeds]]
name = "gone"
url = "{gone}"
interval = "1s"
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    env["XENSOCIAL_DATA_DIR"] = str(data_dir)
    for systemd in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(systemd, None)
    return env


def _posted(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    urls = []
    for line in outbox.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        urls.append(json.dumps(record))
    return urls


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / "daemon.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "xensocial", *args, "run"],
            env=_env(tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        log.close()
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_feed_entries_reach_the_outbox_and_bad_feeds_harm_no_one(tmp_path, daemon):
    with FakeServer() as server:
        site = FeedSite(server)
        blog = site.publish("/blog/feed/", fixture("wordpress-rss2.xml"))
        server.route("GET", "/broken", lambda _r: Reply(500, b"oops"))
        server.route("GET", "/gone", lambda _r: Reply(410, b""))
        config = tmp_path / "xensocial.toml"
        config.write_text(
            CONFIG.format(blog=blog, broken=f"{server.url}/broken", gone=f"{server.url}/gone")
        )
        outbox = tmp_path / "outbox.jsonl"
        proc = daemon("--config", str(config))

        # The first poll queues the 2 newest entries (initial = 2), not the third.
        assert _wait(lambda: len(_posted(outbox)) >= 2, 30), (tmp_path / "daemon.log").read_text()
        posted = _posted(outbox)
        assert any("xen-4-20-released" in p for p in posted)
        assert any("summit-2026-cfp" in p for p in posted)

        # A new entry is picked up by a later poll and posted too.
        site.publish(
            "/blog/feed/",
            fixture("wordpress-rss2.xml").replace(b"<item>\n\t\t<title>Xen 4.20", NEW_ENTRY, 1),
        )
        assert _wait(lambda: any("brand-new" in p for p in _posted(outbox)), 30)
        time.sleep(2.5)  # more polls (304s) and slots: nothing else is posted, nothing twice
        posted = _posted(outbox)
        assert len(posted) == 3 and not any("xsa-460" in p for p in posted)

        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        # The gone feed was asked once; the broken one backs off (1s, 2s, 4s, ...), not every second.
        assert len(server.requests("GET", "/gone")) == 1
        broken_hits = len(server.requests("GET", "/broken"))
        assert 1 <= broken_hits <= 4, broken_hits
        assert len(server.requests("GET", "/blog/feed/")) >= 3
    log = (tmp_path / "daemon.log").read_text()
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert "feed_gone" in names and "feed_failed" in names
    gone = next(e for e in events if e["event"] == "feed_gone")
    assert gone["feed"] == "gone" and gone["action"] == "disabled"


def test_the_demo_posts_the_entries_of_its_shipped_feed(tmp_path, daemon):
    proc = daemon()  # no --config: the embedded demo, one post every 10 s
    outbox = tmp_path / "outbox.jsonl"
    assert _wait(lambda: any("demo-feed" in p for p in _posted(outbox)), 30), (
        tmp_path / "daemon.log"
    ).read_text()
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    # The newest entry of the shipped feed goes out first of the feed's, before the imported
    # demo items still waiting (the feed's priority).
    first = next(p for p in _posted(outbox) if "demo-feed" in p)
    assert "xen-4-19-release-notes" in first
