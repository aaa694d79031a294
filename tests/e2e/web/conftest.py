"""What the browser tests of the web console share: the machine's Chromium through Playwright
(never a downloaded browser), axe-core for the accessibility check, the console and the CLI as
real subprocesses, and where screenshots are kept (`test-artifacts/web/`, gitignored; CI
uploads it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "web"
PASSWORD = "a long enough password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}


def xensocial(config: Path, *args: str, stdin: str | None = None) -> str:
    """A CLI command as a subprocess; its stdout (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def running_console(
    config: Path | None, port: int, log_path: Path, *args: str, cwd: Path | None = None
) -> Iterator[str]:
    """`xensocial web ARGS` on `port` (on the embedded demo when `config` is None) until the
    generator is resumed or closed; its base URL. It must stop cleanly on SIGTERM and log no
    traceback."""
    log = log_path.open("wb")
    chosen = [] if config is None else ["--config", str(config)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "xensocial", *chosen, "web", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(),
        cwd=cwd,
    )
    log.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the console did not start listening"
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:  # also when the caller closes the generator: never leave a console running
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        # uvicorn shuts down gracefully, then ends by the signal it caught (as systemd expects).
        assert code in (0, -signal.SIGTERM), log_path.read_text()
        assert "Traceback" not in log_path.read_text()


@pytest.fixture
def axe() -> str:
    from .axe import axe_source

    try:
        return axe_source()
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the accessibility check: {exc}")
        pytest.skip(f"no axe-core: {exc}")


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser test: /usr/bin/chromium is missing")
        pytest.skip("no /usr/bin/chromium (Debian's chromium package) on this machine")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()
