"""The daemon runs collection rounds on `[metrics] poll_every`: a real subprocess and outbox."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.e2e.conftest import Site


def test_daemon_collects_engagement_and_followers(tmp_path: Path) -> None:
    site = Site(tmp_path, "0s")
    site.config.write_text(
        site.config.read_text()
        + '\n[metrics]\nages = ["1s"]\npoll_every = "1s"\nfollowers_every = "1h"\n'
    )
    [item] = site.add_items(1)
    try:
        proc = site.start()
        collected = site.wait_for(
            lambda: bool(site.query("SELECT 1 FROM engagement_samples WHERE found = 1")),
            timeout=30,
            poll=0.2,
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, site.logs()[-3000:]
    finally:
        site.stop_all()
    assert collected, site.logs()[-3000:]
    [(likes, impressions, age)] = site.query(
        "SELECT likes, impressions, age_seconds FROM engagement_samples"
    )
    assert (likes, impressions, age) == (None, None, 1)  # the outbox has no audience
    # One follower count: the next is due in an hour, whatever the number of rounds.
    assert site.query("SELECT channel, followers FROM follower_samples") == [("demo", None)]
    assert site.query("SELECT state FROM deliveries") == [("published",)]
    assert '"event": "metrics_collected"' in site.logs()
    assert item
