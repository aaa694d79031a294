"""Files others can read: a warning, never an error, where secrets are read.

The configuration (it may hold a database password) and each `file:` secret are checked by
their mode bits (`mode & 0o077`), so the tests hold when run as root, who can read everything.
The CLI says it in one `warning:` line on stderr (stdout stays clean for --json) in the commands
that resolve secrets; the daemon says it as a structured log line at start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from xensocial.config import demo_config_path, load_settings
from xensocial.filemodes import config_file_warning, exposure

SECRET = """
[channels.secrets]
token = "file:{secret}"
"""


def private_file(path: Path, mode: int = 0o600, text: str = "token-value\n") -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("mode", "verbs"),
    [
        (0o600, None),
        (0o400, None),
        (0o700, None),
        (0o640, "read"),
        (0o604, "read"),
        (0o644, "read"),
        (0o620, "changed"),
        (0o666, "read and changed"),
        (0o602, "changed"),
    ],
)
def test_the_mode_bits_decide(tmp_path: Path, mode: int, verbs: str | None) -> None:
    path = private_file(tmp_path / "token", mode)
    message = exposure(path, "secret file")
    if verbs is None:
        assert message is None
    else:
        assert message == (
            f"secret file {path} can be {verbs} by other users (mode {mode:04o}); "
            f"run: chmod 600 {path}"
        )


def test_what_cannot_be_inspected_is_left_to_its_reader(tmp_path: Path) -> None:
    assert exposure(tmp_path / "missing", "secret file") is None
    tmp_path.chmod(0o755)
    assert exposure(tmp_path, "secret file") is None  # a folder is not a secret file


def test_the_embedded_demo_never_warns() -> None:
    assert os.stat(demo_config_path()).st_mode & 0o044  # shipped readable, like any package file
    assert config_file_warning(load_settings(demo_config_path(), env={})) is None


@pytest.fixture
def harness(tmp_path: Path, clock: FakeClock) -> CliHarness:
    secret = private_file(tmp_path / "token")
    config = write_config(tmp_path)
    config.write_text(config.read_text() + SECRET.format(secret=secret))
    config.chmod(0o600)
    harness = CliHarness(config, tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness


def test_private_files_draw_no_warning(harness: CliHarness) -> None:
    result = harness.ok("channels", "verify", "fast", "--json")
    assert result.stderr == ""
    assert json.loads(result.stdout)["channel"] == "fast"


def test_a_readable_configuration_warns_once_on_stderr(harness: CliHarness) -> None:
    harness.config.chmod(0o644)
    result = harness.ok("channels", "verify", "fast", "--json")
    assert result.stderr.splitlines() == [
        f"warning: configuration file {harness.config} can be read by other users "
        f"(mode 0644); run: chmod 600 {harness.config}"
    ]
    assert json.loads(result.stdout)["channel"] == "fast"  # stdout is still pure JSON
    metrics = harness.ok("metrics", "poll", "--json")
    assert metrics.stderr.count("warning: configuration file") == 1  # once, for two channels


def test_a_readable_secret_file_warns_on_stderr(harness: CliHarness, tmp_path: Path) -> None:
    (tmp_path / "token").chmod(0o640)
    result = harness.ok("channels", "verify", "fast", "--json")
    [line] = result.stderr.splitlines()
    assert line.startswith(f"warning: secret file {tmp_path / 'token'} can be read by other")
    assert line.endswith(f"run: chmod 600 {tmp_path / 'token'}")
    assert "token-value" not in result.stderr  # never the secret itself
    json.loads(result.stdout)


def test_commands_that_read_no_secret_stay_quiet(harness: CliHarness, tmp_path: Path) -> None:
    harness.config.chmod(0o644)
    (tmp_path / "token").chmod(0o644)
    for args in (("queue", "list"), ("channels", "list"), ("schedule", "--days", "1")):
        assert harness.ok(*args).stderr == "", args


@pytest.mark.e2e
def test_the_daemon_logs_a_structured_warning_for_each_file(tmp_path: Path) -> None:
    secret = private_file(tmp_path / "token", 0o644)
    config = tmp_path / "xensocial.toml"
    config.write_text(
        'database_url = "sqlite:///queue.db"\nlog_format = "json"\n'
        '[[channels]]\nname = "demo"\nnetwork = "outbox"\ncron = "0 0 0 * * *"\n'
        '[channels.options]\npath = "outbox.jsonl"\n' + SECRET.format(secret=secret)
    )
    config.chmod(0o604)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XENSOCIAL_", "NOTIFY_"))}
    env["XENSOCIAL_DATA_DIR"] = str(tmp_path)
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
    [on_config] = [e for e in events if e["event"] == "config_file_readable"]
    assert on_config["level"] == "warning" and on_config["path"] == str(config)
    assert "mode 0604" in on_config["detail"] and "chmod 600" in on_config["detail"]
    [on_secret] = [e for e in events if e["event"] == "secret_file_readable"]
    assert on_secret["channel"] == "demo" and str(secret) in on_secret["detail"]
