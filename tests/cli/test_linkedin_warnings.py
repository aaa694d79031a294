"""What LinkedIn channels warn of, where people look: `channels list` (a line under the table, a
`warnings` list in `--json`), `channels verify` (with what token introspection learned) and the
daemon's start (`channel_warning` log lines).

`channels list` builds every enabled channel's adapter to ask it, and must never fail for it
nor call a network: the LinkedIn channels point at a fake LinkedIn whose request log must stay
empty, and one channel's secret is not set at all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.linkedin_oauth import FakeLinkedInOAuth
from tests.fakes.server import FakeServer
from xensocial.adapters.linkedin import DEFAULT_API_VERSION

# Braces are doubled: write_config formats this text.
CONFIG = """\
database_url = "sqlite:///{db}"
data_dir = "{data}"
timezone = "UTC"

[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30"]
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "li-old"
network = "linkedin"
slots = ["10:00"]
[channels.options]
organization_id = "2414183"
api_version = "202510"
token_expires_at = "2026-09-05T08:00:00Z"
api_base_url = "URL"
oauth_base_url = "URL"
[channels.secrets]
access_token = "env:XS_TEST_LI_TOKEN"

[[channels]]
name = "li-new"
network = "linkedin"
slots = ["10:00"]
[channels.options]
organization_id = "2414183"
api_base_url = "URL"
oauth_base_url = "URL"
[channels.secrets]
access_token = "env:XS_TEST_LI_TOKEN"
client_id = "env:XS_TEST_LI_CLIENT_ID"
client_secret = "env:XS_TEST_LI_CLIENT_SECRET"

[[channels]]
name = "li-unset"
network = "linkedin"
slots = ["10:00"]
[channels.options]
organization_id = "2414183"
api_base_url = "URL"
[channels.secrets]
access_token = "env:XS_TEST_LI_NOT_SET"
"""


@pytest.fixture
def linkedin(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[CliHarness, FakeLinkedIn, FakeServer]]:
    with FakeServer() as server:
        fake = FakeLinkedIn(server, clock=clock)
        monkeypatch.setenv("XS_TEST_LI_TOKEN", fake.token)
        monkeypatch.setenv("XS_TEST_LI_CLIENT_ID", fake.oauth.client_id)
        monkeypatch.setenv("XS_TEST_LI_CLIENT_SECRET", fake.oauth.client_secret)
        monkeypatch.delenv("XS_TEST_LI_NOT_SET", raising=False)
        config = write_config(tmp_path, text=CONFIG.replace("URL", server.url))
        harness = CliHarness(config, tmp_path / "data" / "queue.db", clock)
        harness.ok("db", "upgrade")
        yield harness, fake, server


def test_channels_list_shows_each_channels_warnings_and_calls_no_network(
    linkedin: tuple[CliHarness, FakeLinkedIn, FakeServer],
) -> None:
    cli, _, server = linkedin
    cli.clock.set(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))  # 202510 ends in 44 days
    rows = {r["name"]: r for r in cli.json("channels", "list")}
    assert rows["demo"]["warnings"] == []
    version, token = rows["li-old"]["warnings"]
    assert "api_version 202510 ends on 2026-10-15" in version
    assert f'[channels.options] api_version = "{DEFAULT_API_VERSION}"' in version
    assert token.startswith("channel 'li-old': linkedin access_token expires on 2026-09-05 08:00")
    assert rows["li-new"]["warnings"] == []  # the default version, no known end of its token
    [unset] = rows["li-unset"]["warnings"]
    assert "XS_TEST_LI_NOT_SET" in unset and "li-unset" in unset
    result = cli.ok("channels", "list")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("NAME")
    warned = [line for line in lines if line.startswith("Warning: ")]
    assert warned == [f"Warning: {w}" for w in (version, token, unset)]
    assert lines[-3:] == warned  # under the table
    assert result.stderr == ""
    assert server.log == []  # no network I/O


def test_verify_adds_what_introspection_learned_and_list_keeps_it(
    linkedin: tuple[CliHarness, FakeLinkedIn, FakeServer],
) -> None:
    cli, fake, server = linkedin
    ends = cli.clock() + timedelta(days=3)
    fake.oauth.expire(fake.token, ends)
    before = next(r for r in cli.json("channels", "list") if r["name"] == "li-new")
    assert before["warnings"] == []  # nothing known of the token's end yet
    out = cli.ok("channels", "verify", "li-new").stdout
    assert len(server.requests("POST", FakeLinkedInOAuth.INTROSPECT)) == 1
    expected = f"channel 'li-new': linkedin access_token expires on {ends:%Y-%m-%d %H:%M} UTC"
    assert f"Warning:   {expected} (in 3 days)" in out
    after = next(r for r in cli.json("channels", "list") if r["name"] == "li-new")
    [warning] = after["warnings"]  # kept: the listing asks nobody
    assert warning.startswith(expected)
    assert len(server.requests("POST", FakeLinkedInOAuth.INTROSPECT)) == 1


@pytest.mark.e2e
def test_the_daemon_logs_the_warnings_at_its_start(tmp_path: Path) -> None:
    ends = datetime.now(UTC) + timedelta(days=2)
    config = tmp_path / "xensocial.toml"
    config.write_text(
        'database_url = "sqlite:///queue.db"\nlog_format = "json"\n'
        '[[channels]]\nname = "li"\nnetwork = "linkedin"\ncron = "0 0 0 1 1 *"\n'
        "[channels.options]\norganization_id = '2414183'\napi_base_url = 'http://127.0.0.1:9'\n"
        f"token_expires_at = '{ends.isoformat()}'\n"
        '[channels.secrets]\naccess_token = "env:XS_TEST_LI_TOKEN"\n'
    )
    config.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XENSOCIAL_", "NOTIFY_"))}
    env["XENSOCIAL_DATA_DIR"] = str(tmp_path)
    env["XS_TEST_LI_TOKEN"] = "li-daemon-token-value"
    log = tmp_path / "daemon.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "xensocial", "--config", str(config), "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while '"event": "scheduling"' not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, log.read_text()
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    [warned] = [e for e in events if e["event"] == "channel_warning"]
    assert warned["channel"] == "li" and warned["level"] == "warning"
    assert f"access_token expires on {ends:%Y-%m-%d %H:%M} UTC (in 1 day)" in warned["detail"]
    assert "li-daemon-token-value" not in log.read_text()
