"""The CLI as staff run it: `python -m xensocial` in a real process, on each database backend,
and the promise that `--help` and `queue list` load no network client or scheduler library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import write_config

FORBIDDEN = ("tweepy", "facebook", "feedparser", "apscheduler", "httpx")

# Runs the CLI and, at exit, prints which forbidden top-level packages were imported.
_PROBE = f"""
import atexit, sys
FORBIDDEN = {FORBIDDEN!r}
atexit.register(lambda: print("LOADED=" + ",".join(sorted({{m.split(".")[0] for m in sys.modules}} & set(FORBIDDEN))), file=sys.stderr))
from xensocial.cli import main
main(sys.argv[1:])
"""


def _xs(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xensocial", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("args", [["--help"], ["queue", "list"], ["queue", "list", "--json"]])
def test_light_commands_import_no_network_or_scheduler_library(
    tmp_path: Path, args: list[str]
) -> None:
    config = write_config(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED=\n" in done.stderr, done.stderr


def test_the_probe_sees_a_forbidden_import(tmp_path: Path) -> None:
    # `schedule` with a cron channel uses APScheduler's CronTrigger: the probe must notice.
    config = write_config(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "--config", str(config), "schedule", "--days", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED=apscheduler" in done.stderr


@pytest.mark.slow  # seconds to minutes: left out of the fast run (README, Testing)
def test_add_list_and_refusals_in_a_real_process(database_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    env = {"XENSOCIAL_DATABASE_URL": database_url}
    added = _xs(config, "queue", "add", "https://example.org/a", "--title", "Hi", "--json", env=env)
    assert added.returncode == 0, added.stderr
    item = json.loads(added.stdout)
    items = json.loads(_xs(config, "queue", "list", "--json", env=env).stdout)
    assert [(i["id"], i["title"], [d["channel"] for d in i["deliveries"]]) for i in items] == [
        (item["id"], "Hi", ["demo", "fast"])
    ]
    for args in (
        ["queue", "add", "https://example.org/a"],
        ["queue", "add", "https://example.org/b", "--not-before", "soonish"],
        ["queue", "add", "https://example.org/b", "--channel", "nope"],
        ["queue", "show", "999999"],
    ):
        refused = _xs(config, *args, env=env)
        assert refused.returncode == 2, (args, refused.stderr)
        assert refused.stderr.startswith("error: ") and len(refused.stderr.splitlines()) == 1
        assert "Traceback" not in refused.stderr
    assert len(json.loads(_xs(config, "queue", "list", "--json", env=env).stdout)) == 1


def test_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "xensocial"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "xensocial, version 0.1.0"
