"""The daemon polls coverage feeds as a real subprocess: a feed's entries become clips at start
(never polled before), a broken feed is logged and harms nothing, and SIGTERM still exits 0."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

from tests.e2e.conftest import Site
from tests.storage.coverage.conftest import DATA

pytestmark = pytest.mark.e2e

COVERAGE = """
[[coverage_feeds]]
name = "news-xen"
url = "file:news-search.xml"
interval = "1h"
topic = "xen"

[[coverage_feeds]]
name = "missing"
url = "file:no-such-feed.xml"
interval = "1h"
"""


def test_the_daemon_turns_a_coverage_feed_into_clips(tmp_path: Path) -> None:
    site = Site(tmp_path, "0s")
    shutil.copy(DATA / "news-search.xml", tmp_path / "news-search.xml")
    site.config.write_text(site.config.read_text() + COVERAGE)
    site.add_items(0)  # the database, migrated
    try:
        proc = site.start()
        polled = site.wait_for(
            lambda: len(site.query("SELECT id FROM clips")) == 3, timeout=30, poll=0.2
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, site.logs()[-3000:]
    finally:
        site.stop_all()
    assert polled, site.logs()[-3000:]
    rows = site.query("SELECT outlet, topic, source FROM clips ORDER BY published_on DESC, id")
    assert sorted(rows) == sorted(
        [
            ("The Register", "xen", "feed:news-xen"),
            ('"xen hypervisor" - News search', "xen", "feed:news-xen"),
            ("Example Blog", "xen", "feed:news-xen"),
        ]
    )
    events = [json.loads(line) for line in site.logs().splitlines() if line.startswith("{")]
    failed = [e for e in events if e["event"] == "coverage_feed_failed"]
    assert [e["feed"] for e in failed] == ["missing"], failed
    assert "No such file" in failed[0]["reason"]
    state = json.loads((tmp_path / "coverage-feeds.json").read_text())
    assert set(state) == {"news-xen", "missing"}
    assert state["news-xen"]["error"] is None
