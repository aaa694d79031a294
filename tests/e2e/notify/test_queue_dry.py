"""The queue running dry while the daemon runs (a subprocess posting to the outbox): the webhook
hears once that the channel is running out of posts, with the command that fixes it; an item
added with `queue add` from the CLI, and it hears once that it cleared; and nothing more while
the daemon keeps checking.

The forecast (`xensocial.forecast.plan_channels`) looks at a seconds-cron channel's next 50
slots; the daily cap (`max_per_day = 3`) is what keeps them few, so two queued items leave the
third post of the day with nothing: the queue is dry while the two are posted, and one more
item fills the day. The channel's time zone is picked so that its midnight (when the cap
starts again) is hours away from whenever the test runs."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from tests.chaos.cluster import daemon_env, json_lines, spawn_daemon, wait_until
from tests.fakes.notify import hook_said as said
from tests.fakes.server import FakeServer
from xensocial.migrate import upgrade

pytestmark = pytest.mark.e2e


def noon_zone(now: datetime) -> str:
    """An `Etc/GMT` zone where it is about noon at `now` (so its midnight is ~12 h away).
    `Etc/GMT-K` is UTC+K: the sign is POSIX's, the reverse of ISO's."""
    ahead = 12 - now.astimezone(UTC).hour  # -11 ... 12
    return "Etc/GMT" if ahead == 0 else f"Etc/GMT{'-' if ahead > 0 else '+'}{abs(ahead)}"


def test_the_queue_running_dry_is_one_alert_and_an_added_item_one_clearing(
    tmp_path: Path, server: FakeServer
) -> None:
    config = tmp_path / "xensocial.toml"
    outbox = tmp_path / "outbox.jsonl"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "queue.db"}"\nlog_format = "json"\n'
        'identity = "e2e-host"\n\n[http]\nlisten = ""\n\n'
        '[alerts]\ncheck_every = "1s"\nqueue_dry_days = 1\n\n'
        '[[channels]]\nname = "demo"\nnetwork = "outbox"\ncron = "* * * * * *"\n'
        f'max_per_day = 3\ntimezone = "{noon_zone(datetime.now(UTC))}"\n'
        f'[channels.options]\npath = "{outbox}"\n\n'
        f'[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
        'events = ["queue_dry"]\n'
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    upgrade(engine)
    queue = ContentQueue(engine)
    for i in range(2):
        queue.add(NewItem(url=f"https://example.org/d/{i}", title=f"Item {i}", channels=["demo"]))
    engine.dispose()
    env = daemon_env(tmp_path)
    log = tmp_path / "daemon.log"
    daemon = spawn_daemon(config, env, log)
    try:
        # Both items go out, a second apart; the day's third post finds nothing: said once.
        assert wait_until(lambda: len(json_lines(outbox)) == 2, 20), log.read_text()[-3000:]
        assert wait_until(lambda: said(server) == [("queue_dry", "demo", "start")], 20), (
            log.read_text()[-3000:]
        )
        message = server.requests("POST", "/hook")[0].json()["message"]
        assert "Channel demo is running out of posts" in message
        assert "xensocial queue add URL --channel demo" in message
        assert not wait_until(lambda: len(said(server)) > 1, 3)  # three checks: no repeat
        added = subprocess.run(
            [sys.executable, "-m", "xensocial", "--config", str(config), "queue", "add",
             "https://example.org/d/more", "--title", "One more", "--text", "One more post",
             "--channel", "demo"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert wait_until(lambda: len(said(server)) == 2, 20), log.read_text()[-3000:]
        # It is posted (the day's third), and the cap holds the rest of the day's slots.
        assert wait_until(lambda: len(json_lines(outbox)) == 3, 20)
        assert not wait_until(lambda: len(said(server)) > 2, 4)  # four more checks: quiet
        assert said(server) == [("queue_dry", "demo", "start"), ("queue_dry", "demo", "clear")]
        assert len(json_lines(outbox)) == 3
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(20)
    assert code == 0, log.read_text()[-3000:]
