"""A token revoked while the daemon runs (a subprocess posting to a Mastodon fake): the network
refuses it, the daemon pauses the channel, and the webhook hears of it once; `channels resume`
from the CLI, and it hears once that it cleared."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from tests.chaos.cluster import daemon_env, spawn_daemon, wait_until
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.notify import receivers
from tests.fakes.server import FakeServer
from xensocial.migrate import upgrade

pytestmark = pytest.mark.e2e

TOKEN = "masto-token-for-e2e"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        receivers(fake)
        yield fake


def said(server: FakeServer) -> list[tuple[str, str, str]]:
    bodies = [r.json() for r in server.requests("POST", "/hook")]
    return [(b["event"], b["subject"], b["phase"]) for b in bodies]


def test_a_revoked_token_is_one_alert_and_resume_one_clearing(
    tmp_path: Path, server: FakeServer
) -> None:
    mastodon = FakeMastodon(server, token=TOKEN)
    config = tmp_path / "xensocial.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "queue.db"}"\nlog_format = "json"\n'
        'identity = "e2e-host"\n\n[http]\nlisten = ""\n\n[alerts]\ncheck_every = "1s"\n\n'
        '[[channels]]\nname = "masto"\nnetwork = "mastodon"\ncron = "* * * * * *"\n'
        f'max_per_day = 10000\n[channels.options]\napi_base_url = "{server.url}"\n'
        '[channels.secrets]\naccess_token = "env:XS_MASTO_TOKEN"\n\n'
        f'[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "{server.url}/hook"\n'
        'events = ["channel_paused"]\n'
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    upgrade(engine)
    queue = ContentQueue(engine)
    for i in range(200):
        queue.add(NewItem(url=f"https://example.org/r/{i}", title=f"Item {i}", channels=["masto"]))
    engine.dispose()
    env = daemon_env(tmp_path, XS_MASTO_TOKEN=TOKEN)
    daemon = spawn_daemon(config, env, tmp_path / "daemon.log")
    try:
        assert wait_until(lambda: len(mastodon.statuses) >= 2, 30), (
            tmp_path / "daemon.log"
        ).read_text()
        mastodon.revoke()
        assert wait_until(lambda: said(server) == [("channel_paused", "masto", "start")], 30)
        message = server.requests("POST", "/hook")[0].json()["message"]
        assert "auth failed" in message and "xensocial channels resume masto" in message
        assert not wait_until(lambda: len(said(server)) > 1, 3)  # once, not at every check
        mastodon.revoked = False  # a new token, as far as the network is concerned
        resumed = subprocess.run(
            [sys.executable, "-m", "xensocial", "--config", str(config), "channels", "resume", "masto"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr
        assert wait_until(lambda: len(said(server)) == 2, 30)
        assert not wait_until(lambda: len(said(server)) > 2, 3)
        assert said(server) == [
            ("channel_paused", "masto", "start"),
            ("channel_paused", "masto", "clear"),
        ]
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(20)
    assert code == 0, (tmp_path / "daemon.log").read_text()[-3000:]
