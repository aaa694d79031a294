"""Health means "can post": the daemon as a subprocess, its database made to refuse writes.

How writes are made to fail: the tests run as root, to whom `chmod 444` stops nothing, and the
daemon's connections are already open (a mode checked at open() would not reach them anyway).
So the SQLite file and its WAL are made immutable (`chattr +i`, ext4's attribute, which root
needs CAP_LINUX_IMMUTABLE to set): from then on the kernel refuses every write to them, even
through descriptors opened before, to root too, exactly as a full or failing disk would. The
daemon keeps running and keeps reading; only its writes fail. The attribute is always taken
off again, and the daemon must then recover on its own.

`xensocial health` runs as its own process, as the container's HEALTHCHECK does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Site
from tests.e2e.exports.test_daemon_endpoint import serving
from tests.storage.exports.conftest import free_port
from tests.storage.exports.test_endpoint import get

pytestmark = pytest.mark.e2e

FAST = '\n[health]\ncrashed_slots = 3\nstale_after = "30s"\n'


def health(config: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    env["XENSOCIAL_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(config), "health"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def immutable(paths: list[Path], on: bool) -> None:
    subprocess.run(["chattr", "+i" if on else "-i", *map(str, paths)], check=True)


def can_make_immutable(folder: Path) -> bool:
    probe = folder / "chattr-probe"
    probe.write_text("x")
    try:
        done = shutil.which("chattr") is not None and (
            subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
        )
        if done:
            immutable([probe], False)
        return done
    finally:
        probe.unlink()


def database_up(base: str) -> float:
    status, _, body = get(base + "/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "xensocial_database_up":
            return float(family.samples[0].value)
    raise AssertionError("no xensocial_database_up")


def test_a_database_that_refuses_writes_makes_the_daemon_unhealthy_within_a_few_slots(
    tmp_path: Path,
) -> None:
    if not can_make_immutable(tmp_path):
        if os.environ.get("CI") == "true":
            pytest.fail("chattr +i must work in CI (ext4, running as root)")
        pytest.skip("chattr +i is not available here (a file system or user without it)")
    site, port = Site(tmp_path, "0s"), free_port()
    serving(site, port)
    site.config.write_text(site.config.read_text() + FAST)
    base = f"http://127.0.0.1:{port}"
    site.add_items(2)
    proc = site.start()
    locked = [site.db, site.db.with_name(site.db.name + "-wal")]
    try:
        assert site.wait_for(lambda: site.delivery_states() == {"published": 2}, 30, 0.1), (
            site.logs()[-3000:]
        )
        assert site.wait_for(lambda: health(site.config, site.root).returncode == 0, 30, 0.2)
        assert get(base + "/healthz")[0] == 200 and database_up(base) == 1
        crashed_before = site.logs().count('"slot_crashed"')

        immutable(locked, True)
        try:
            answers: list[subprocess.CompletedProcess[str]] = []

            def unhealthy() -> bool:
                answers.append(health(site.config, site.root))
                return answers[-1].returncode == 1

            assert site.wait_for(unhealthy, 30, 0.2), (answers[-1:], site.logs()[-3000:])
            crashed = site.logs().count('"slot_crashed"') - crashed_before
            said = answers[-1].stderr
            status, _, body = get(base + "/healthz")
            answer = json.loads(body)
            up = database_up(base)
        finally:
            immutable(locked, False)
        assert 1 <= crashed <= 6, crashed  # "within a few slots": one a second here
        assert said.startswith("error: unhealthy: the database refuses writes: "), said
        assert len(said.splitlines()) == 1 and answers[-1].stdout == ""
        assert (status, answer["status"], answer["writes"]) == (503, "unhealthy", "refused")
        assert "the database refuses writes: " in answer["reason"], answer
        assert answer["database"] == "ok"  # it still reads: only writes fail
        assert up == 0  # /metrics does not call it up while writes fail

        # Writable again: the next slot or tick completes, and it is healthy on its own.
        assert site.wait_for(lambda: health(site.config, site.root).returncode == 0, 30, 0.2), (
            site.logs()[-3000:]
        )
        assert get(base + "/healthz")[0] == 200 and database_up(base) == 1
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, site.logs()[-3000:]
    finally:
        site.stop_all()
        for path in locked:  # never leave a file tmp_path cannot remove (the WAL goes at exit)
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def test_with_its_data_directory_moved_away_health_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    site, port = Site(data, "0s"), free_port()
    serving(site, port)
    site.config.write_text(site.config.read_text() + FAST)  # a tick every 10 s
    config = shutil.copy(site.config, tmp_path / "xensocial.toml")  # it goes with the folder
    base = f"http://127.0.0.1:{port}"
    site.add_items(0)  # a migrated database, nothing to post
    proc = site.start()
    try:
        assert site.wait_for(lambda: health(config, data).returncode == 0, 30, 0.2), site.logs()
        moved = data.rename(tmp_path / "moved")

        result = health(config, data)
        assert (result.returncode, result.stdout) == (2, ""), result
        assert result.stderr == (
            f"error: misconfigured: the data directory {data} does not exist (moved, or never "
            "created: `xensocial run` creates it)\n"
        )
        assert not data.exists()  # no folder, no database, no heartbeat made

        answers: list[tuple[int, dict[str, object]]] = []

        def heartbeat_has_nowhere_to_go() -> bool:
            status, _, body = get(base + "/healthz")  # the daemon: unhealthy, and why
            answers.append((status, json.loads(body)))
            return "cannot be written" in str(answers[-1][1]["reason"])

        # The daemon finds out at its next write of the heartbeat: its next tick, a third of
        # `stale_after` at most; until then /healthz already says the database does not answer.
        assert site.wait_for(heartbeat_has_nowhere_to_go, 30, 0.2), answers[-1:]
        status, answer = answers[-1]
        assert status == 503 and answer["database"] == "unreachable", answer
        assert "the database does not answer" in str(answer["reason"]), answer
        assert all(s == 503 and a["database"] == "unreachable" for s, a in answers), answers
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, (moved / "run-1.log").read_text()[-3000:]
        assert not data.exists()
    finally:
        site.stop_all()
