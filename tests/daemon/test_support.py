"""The daemon's support modules: log redaction and format, sd_notify, building adapters."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from xensocial.adapters.factory import build_adapter
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.errors import ConfigError, SecretError
from xensocial.sdnotify import notify, watchdog_interval

from .conftest import make_channel, make_settings


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def test_logs_are_json_lines_off_a_terminal_with_secrets_redacted():
    result = run_python(
        """
        import logging, structlog
        from xensocial.logs import configure_logging, add_secrets
        configure_logging("info", "auto", secrets=["hunter2"])
        add_secrets(["tok-abc123"])
        log = structlog.get_logger("t")
        log.info("posted", channel="demo", detail="auth header Bearer tok-abc123", n=3)
        log.debug("hidden")
        logging.getLogger("apscheduler.x").warning("lib says hunter2")
        try:
            raise RuntimeError("boom hunter2")
        except RuntimeError:
            log.exception("failed")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stderr.splitlines()]
    assert [x["event"] for x in lines] == ["posted", "lib says [redacted]", "failed"]
    assert lines[0]["detail"] == "auth header Bearer [redacted]" and lines[0]["n"] == 3
    assert lines[0]["level"] == "info" and lines[0]["channel"] == "demo"
    assert "hunter2" not in result.stderr and "tok-abc123" not in result.stderr
    assert "RuntimeError: boom [redacted]" in lines[2]["exception"]


def test_console_format_is_readable_text():
    result = run_python(
        """
        import structlog
        from xensocial.logs import configure_logging
        configure_logging("debug", "console", secrets=["s3cret"])
        structlog.get_logger("t").debug("slot_skipped", reason="s3cret paused")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "slot_skipped" in result.stderr and "[redacted] paused" in result.stderr
    with pytest.raises(ValueError):
        json.loads(result.stderr)


def test_sd_notify_to_a_path_and_an_abstract_socket(tmp_path: Path):
    path_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path_sock.bind(str(tmp_path / "notify"))
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"xensocial-test-{uuid.uuid4().hex}"
    abstract.bind("\0" + name)
    with path_sock, abstract:
        assert notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "notify")})
        assert path_sock.recv(100) == b"READY=1"
        assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert abstract.recv(100) == b"WATCHDOG=1"
    assert not notify("READY=1", {})
    assert not notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")})


def test_watchdog_interval_is_half_of_watchdog_usec():
    assert watchdog_interval({"WATCHDOG_USEC": "20000000"}) == 10.0
    assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}) is None
    pid = str(os.getpid())
    assert watchdog_interval({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": pid}) == 2.0
    assert watchdog_interval({}) is None


def test_build_adapter_gives_a_ready_outbox(tmp_path: Path):
    channel = make_channel(options={"path": "out.jsonl", "delay": "10ms"})
    settings = make_settings(tmp_path, [channel], timeout=timedelta(seconds=7))
    adapter = build_adapter(settings, channel)
    assert isinstance(adapter, OutboxAdapter)
    assert adapter.path == tmp_path / "out.jsonl" and adapter.delay == pytest.approx(0.01)
    assert adapter.context.timeout_seconds == 7.0


def test_a_bad_option_is_a_config_error_naming_the_channel(tmp_path: Path):
    other = make_channel("other", options={"path": "x"})
    channel = make_channel("broken", options={"path": "x", "colour": "red"})
    settings = make_settings(tmp_path, [other, channel])
    with pytest.raises(ConfigError) as err:
        build_adapter(settings, channel)
    assert err.value.key == "channels[1].options"
    assert "'broken'" in str(err.value) and "colour" in str(err.value)
    assert str(err.value).startswith("test.toml: ")
    bad_delay = make_channel("slow", options={"path": "x", "delay": "soon"})
    with pytest.raises(ConfigError, match="'soon' is not a duration"):
        build_adapter(make_settings(tmp_path, [bad_delay]), bad_delay)


def test_an_unknown_network_is_a_config_error(tmp_path: Path):
    channel = make_channel(network="myspace", options={})
    with pytest.raises(ConfigError, match="no adapter named 'myspace'"):
        build_adapter(make_settings(tmp_path, [channel]), channel)


def test_secrets_are_resolved_and_a_world_readable_file_warns(tmp_path: Path):
    secret = tmp_path / "token"
    secret.write_text("tok-xyz-123\n")
    secret.chmod(0o644)
    channel = make_channel(options={"path": "x"}, secrets={"token": f"file:{secret}"})
    # The outbox takes no secrets, but building resolves them all the same (and warns).
    with capture_logs() as logs:
        adapter = build_adapter(make_settings(tmp_path, [channel]), channel)
    assert adapter.context.secrets == {"token": "tok-xyz-123"}
    [warning] = [e for e in logs if e["event"] == "secret_file_readable"]
    assert warning["channel"] == "demo" and "chmod 600" in warning["detail"]
    missing = make_channel(options={"path": "x"}, secrets={"token": "env:XS_TEST_UNSET"})
    with pytest.raises(SecretError, match="XS_TEST_UNSET is not set"):
        build_adapter(make_settings(tmp_path, [missing]), missing, env={})
