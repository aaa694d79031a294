"""What the program creates is its user's alone, whatever the umask; what exists keeps its mode.

The whole path is run as a user would, each command its own process under umask 022 (the usual
one, under which the program's files used to be 0644): `queue add` creates the data folder and
the database, the daemon posts to its outbox and keeps its heartbeat and lock folder, then a
report and the exports are written with `--out`. Every file found afterwards must be 0600 and
every folder 0700, the SQLite `-wal` and `-shm` included; a report file someone made readable
to others keeps its mode when it is written again. The helpers themselves are checked under a
umask that would take the owner's own bits away.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_queue.files import atomic_write, open_private, private_dir, private_file

CONFIG = """\
database_url = "sqlite:///queue.db"
timezone = "UTC"
log_format = "json"

[http]
listen = ""

[intake]
fetch_link_details = false

[[channels]]
name = "demo"
network = "outbox"
cron = "* * * * * *"
max_per_day = 10000

[channels.options]
path = "posted/outbox.jsonl"
"""


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)  # the children inherit it
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): mode(p) for p in sorted(root.rglob("*"))}


def xensocial(config: Path, data: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    env["XENSOCIAL_DATA_DIR"] = str(data)
    for systemd in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(systemd, None)
    return subprocess.Popen(
        [sys.executable, "-m", "xensocial", "--config", str(config), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def ok(config: Path, data: Path, *args: str) -> None:
    proc = xensocial(config, data, *args)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode()


@pytest.mark.e2e
def test_everything_the_program_creates_is_private_under_umask_022(
    tmp_path: Path, umask_022: None
) -> None:
    config = tmp_path / "xensocial.toml"
    config.write_text(CONFIG)
    config.chmod(0o600)
    data = tmp_path / "state" / "data"  # neither folder exists yet
    outputs = tmp_path / "outputs"
    outputs.mkdir()  # made by the user: 0755 under this umask, and it stays so
    shared = outputs / "shared-report.md"
    shared.write_text("an older report, made readable on purpose\n")
    shared.chmod(0o644)

    ok(config, data, "queue", "add", "https://example.org/private", "--title", "Private")
    daemon = xensocial(config, data, "run")
    try:
        outbox = data / "posted" / "outbox.jsonl"
        deadline = time.monotonic() + 30
        while not (outbox.exists() and (data / "heartbeat").exists()):
            assert time.monotonic() < deadline and daemon.poll() is None, "no post in 30 s"
            time.sleep(0.1)
        during = modes(tmp_path / "state")  # the WAL and shm exist while the daemon runs
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
    assert daemon.returncode == 0
    for kind in ("posts", "engagement"):
        ok(config, data, "export", "csv", "--what", kind, "--out", str(outputs / f"{kind}.csv"))
    ok(config, data, "export", "atom", "--out", str(outputs / "posts.atom"))
    ok(config, data, "report", "monthly", "--out", str(outputs / "report.html"))
    ok(config, data, "report", "monthly", "--out", str(shared))

    assert {"data/queue.db-wal", "data/queue.db-shm", "data/queue.db-locks"} <= set(during)
    expected = {name: (0o700 if (tmp_path / "state" / name).is_dir() else 0o600) for name in during}
    assert during == expected
    after = modes(tmp_path / "state")  # the commands that followed made nothing less private
    assert after == {
        name: (0o700 if (tmp_path / "state" / name).is_dir() else 0o600) for name in after
    }
    assert set(after) >= set(expected) - {"data/queue.db-wal", "data/queue.db-shm"}
    assert modes(outputs) == {
        "engagement.csv": 0o600,
        "posts.atom": 0o600,
        "posts.csv": 0o600,
        "report.html": 0o600,
        "shared-report.md": 0o644,  # it existed: written anew, its mode kept
    }
    assert "an older report" not in shared.read_text()
    assert mode(outputs) == 0o755  # the user's folder is the user's business


def test_the_helpers_set_the_mode_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o277)  # would leave a new file 0400 and a new folder 0500
    try:
        folder = private_dir(tmp_path / "a" / "b")
        fd = open_private(folder / "appended", os.O_WRONLY | os.O_APPEND)
        os.close(fd)
        made = private_file(tmp_path / "c" / "db")
        with atomic_write(folder / "written") as f:
            f.write("x")
    finally:
        os.umask(old)
    assert (mode(tmp_path / "a"), mode(folder), mode(tmp_path / "c")) == (0o700, 0o700, 0o700)
    assert (mode(folder / "appended"), mode(made), mode(folder / "written")) == (0o600,) * 3


def test_what_exists_keeps_its_mode_and_contents(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    folder.chmod(0o750)
    existing = folder / "log.jsonl"
    existing.write_text("kept\n")
    existing.chmod(0o640)
    private_dir(folder)
    os.close(open_private(existing, os.O_WRONLY | os.O_APPEND))
    private_file(existing)
    assert (mode(folder), mode(existing), existing.read_text()) == (0o750, 0o640, "kept\n")
    with atomic_write(existing) as f:
        f.write("new\n")
    assert (mode(existing), existing.read_text()) == (0o640, "new\n")


def test_a_failed_atomic_write_leaves_the_file_and_no_leftover(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as f:
        f.write("half")
        raise RuntimeError("the renderer failed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.html"]
