"""A waiting daemon holds no network client library: each is imported at its first call.

The libraries are most of what an idle daemon would keep in memory (bench/idle.py measures it),
so the adapters import them on first use (`xensocial.adapters._lazy`), and a start on a
database already at the newest revision does not import Alembic. The check asks the process
itself, through `python -X importtime`, which reports every module as it is imported: no
timing is asserted, only which modules were loaded from start to a clean stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.storage.exports.conftest import free_port
from xensocial.adapters._lazy import require

pytestmark = pytest.mark.e2e

# The client libraries of the adapters, and what only a migration needs.
NOT_WHILE_IDLE = ("tweepy", "mastodon", "facebook", "atproto", "requests", "alembic")

CHANNELS = {
    "x": (
        "api_base_url = 'http://127.0.0.1:9'",
        ["consumer_key", "consumer_secret", "access_token", "access_token_secret"],
    ),
    "mastodon": ("api_base_url = 'http://127.0.0.1:9'", ["access_token"]),
    "facebook": ("page_id = '1234'\napi_base_url = 'http://127.0.0.1:9'", ["access_token"]),
    "bluesky": (
        "handle = 'idle.bsky.example'\napi_base_url = 'http://127.0.0.1:9'",
        ["app_password"],
    ),
    "linkedin": ("organization_id = '1234'\napi_base_url = 'http://127.0.0.1:9'", ["access_token"]),
}


def write_config(root: Path, port: int) -> Path:
    """One channel of each network with credentials, slots far from now, the endpoint on."""
    hour = (time.gmtime().tm_hour + 6) % 24
    text = [
        'database_url = "sqlite:///idle.db"',
        f'data_dir = "{root}"',
        'log_format = "json"',
        f'[http]\nlisten = "127.0.0.1:{port}"',
    ]
    for network, (options, secrets) in CHANNELS.items():
        text += [
            f'[[channels]]\nname = "{network}-idle"\nnetwork = "{network}"',
            f'slots = ["{hour:02d}:00"]',
            f"[channels.options]\n{options}",
            "[channels.secrets]",
            *(f'{s} = "env:XS_IDLE_TEST_SECRET"' for s in secrets),
        ]
    path = root / "xensocial.toml"
    path.write_text("\n".join(text) + "\n")
    return path


def imported(report: str) -> set[str]:
    """The modules named in a `-X importtime` report."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in report.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_an_idle_daemon_imports_no_network_library_and_not_alembic(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    env["XS_IDLE_TEST_SECRET"] = "not-a-real-secret"
    base = [sys.executable, "-m", "xensocial", "--config", str(config)]
    subprocess.run([*base, "db", "upgrade"], env=env, check=True, capture_output=True)
    log = tmp_path / "daemon.log"  # its log lines and the import report (both on stderr)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", *base[1:], "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while '"scheduling"' not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        assert '"scheduling"' in log.read_text(), log.read_text()
        for path in ("/metrics", "/healthz"):  # what a monitoring system asks of it meanwhile
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
                assert answer.status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # A module imported with importlib.import_module (an entry point, say) is not reported,
    # but what it imports with `import` is: a package's submodules, or the adapters' `_lazy`.
    modules = imported(log.read_text())
    assert "xensocial.adapters._lazy" in modules  # the adapters were built ...
    loaded = sorted(m for m in modules if m.split(".")[0] in NOT_WHILE_IDLE)
    assert loaded == []  # ... without their libraries


def test_a_missing_client_library_still_fails_when_the_adapter_loads() -> None:
    with pytest.raises(ImportError, match="the x adapter needs no_such_library_xs"):
        require("x", "json", "no_such_library_xs")
