"""From posting to the report, with real processes: the daemon posts to an outbox channel and to
a Mastodon channel on the fake instance (real HTTP), `metrics poll` reads the figures the fake
then returns, and `report monthly` shows exactly those figures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from tests.e2e.conftest import Site
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FakeServer
from xensocial.migrate import upgrade

pytestmark = pytest.mark.e2e

TOKEN = "e2e-masto-token"
CONFIG = """\
database_url = "sqlite:///queue.db"
timezone = "UTC"
log_format = "json"
identity = "e2e-report"

[metrics]
ages = ["1s", "1h"]  # read at 1 s; the 1 h age keeps posts due for 2 h

[report]
title = "E2E status"
[report.competitors]
xen = ["Xen"]

[[channels]]
name = "demo"
network = "outbox"
cron = "* * * * * *"
max_per_day = 1000
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "masto"
network = "mastodon"
cron = "* * * * * *"
max_per_day = 1000
[channels.options]
api_base_url = "{url}"
[channels.secrets]
access_token = "env:XS_E2E_MASTODON_TOKEN"
"""


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    with FakeServer() as server:
        yield FakeMastodon(server, token=TOKEN, followers=4321)


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    return {**env, "XENSOCIAL_DATA_DIR": str(root), "XS_E2E_MASTODON_TOKEN": TOKEN}


def _cli(site: Site, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(site.config), *args],
        env=_env(site.root),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_the_report_shows_what_the_network_returned(tmp_path: Path, mastodon: FakeMastodon) -> None:
    site = Site(tmp_path, "0s")
    site.config.write_text(CONFIG.format(url=mastodon.server.url))
    engine = make_engine(f"sqlite:///{site.db}")
    try:
        upgrade(engine)
        queue = ContentQueue(engine)
        for n in range(3):
            queue.add(NewItem(url=f"https://xenproject.org/e2e/{n}", title=f"Xen news {n}",
                              channels=["demo", "masto"]))  # fmt: skip
    finally:
        engine.dispose()
    try:
        proc = site.start(extra_env={"XS_E2E_MASTODON_TOKEN": TOKEN})
        posted = site.wait_for(
            lambda: site.delivery_states() == {"published": 6}, timeout=60, poll=0.2
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, site.logs()[-3000:]
    finally:
        site.stop_all()
    assert posted, (site.delivery_states(), site.logs()[-3000:])
    assert len(mastodon.statuses) == 3

    # The audience reacts; then one collection round reads it (every post is past its 1 s age).
    for status, (likes, boosts, replies) in zip(
        mastodon.statuses, [(5, 2, 1), (12, 0, 3), (1, 1, 0)], strict=True
    ):
        status.favourites, status.reblogs, status.replies = likes, boosts, replies
    # Every post must be past its 1 s age to be due: the daemon posted the last one just now.
    [(last,)] = site.query("SELECT max(published_at) FROM deliveries")
    newest = datetime.fromisoformat(str(last)).replace(tzinfo=UTC)
    assert site.wait_for(lambda: datetime.now(UTC) - newest > timedelta(seconds=1.5), 10)
    polled = _cli(site, "metrics", "poll", "--now")
    assert "masto (mastodon): followers 4321; 3 engagement samples" in polled, polled

    [(month,)] = site.query("SELECT DISTINCT substr(published_at, 1, 7) FROM deliveries")
    report: dict[str, Any] = json.loads(
        _cli(site, "report", "monthly", "--month", str(month), "--format", "json")
    )

    assert [(c["channel"], c["posts"]) for c in report["posts"]["by_channel"]] == [
        ("demo", 3),
        ("masto", 3),
    ]
    demo, masto = report["engagement"]["by_channel"]
    assert masto["posts_read"] == 3
    assert masto["counters"] == {
        "likes": 18,  # 5 + 12 + 1, the fake's favourites
        "reposts": 3,  # 2 + 0 + 1, its reblogs
        "replies": 4,  # 1 + 3 + 0
        "quotes": None,  # this instance does not count quotes
        "impressions": None,  # Mastodon gives no views or clicks
        "clicks": None,
        "interactions": 25,  # 18 + 3 + 4
        "bookmarks": None,  # only X counts bookmarks
    }
    assert demo["posts_read"] == 3
    assert set(demo["counters"].values()) == {None}  # the outbox has no audience
    top = report["engagement"]["top_posts"]
    assert [(t["channel"], t["counters"]["interactions"]) for t in top] == [
        ("masto", 15),  # 12 + 0 + 3
        ("masto", 8),  # 5 + 2 + 1
        ("masto", 2),  # 1 + 1 + 0
    ]
    assert {t["remote_url"] for t in top} == {
        f"{mastodon.server.url}/@xen/{s.id}" for s in mastodon.statuses
    }
    followers = {r["channel"]: r["followers"] for r in report["followers"]["rows"]}
    assert followers == {"demo": None, "masto": 4321}
    markdown = _cli(site, "report", "monthly", "--month", str(month))
    # Columns no channel gives (quotes, impressions, clicks, bookmarks) are left out, and so is
    # the outbox's row of dashes: each is said once in a line instead.
    assert "| masto | 3 | 3 | 25 | 18 | 3 | 4 |\n" in markdown
    assert "No channel gives quotes, impressions, clicks or bookmarks in this period" in markdown
    assert "demo reports no engagement figures" in markdown
