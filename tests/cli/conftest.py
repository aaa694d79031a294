"""The CLI under test: a temporary configuration and SQLite file, and a runner that goes
through the same error handling as the console script (`xensocial.cli.invoke`).

`cli.run("queue", "add", ...)` runs one command in-process with click's CliRunner and returns
the Result (exit_code, stdout, stderr). The clock is the shared fake one, so dates typed
relative to "now" and the schedule forecast are exact. `cli.dump()` is the database as SQL
text, to prove that a refused command changed nothing.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import FakeClock
from xensocial.cli import App, invoke

__all__ = ["CONFIG", "NO_FETCH", "CliHarness", "write_config"]

CONFIG = """\
database_url = "sqlite:///{db}"
data_dir = "{data}"
timezone = "Europe/Amsterdam"
auto_migrate = {auto_migrate}

[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30", "15:00"]
max_per_day = 1
[channels.options]
path = "outbox-demo.jsonl"

[[channels]]
name = "fast"
network = "outbox"
cron = "*/10 * * * * *"
max_per_day = 100
[channels.options]
path = "outbox-fast.jsonl"
"""
# Tests never reach the internet: `queue add` without --title must not read example.org.
# Configurations with an [intake] table of their own (tests/network/intake) point at local pages.
NO_FETCH = "\n[intake]\nfetch_link_details = false\n"


def write_config(folder: Path, *, auto_migrate: bool = True, text: str = CONFIG) -> Path:
    path = folder / "xensocial.toml"
    if "[intake]" not in text:
        text += NO_FETCH
    path.write_text(
        text.format(
            db=folder / "data" / "queue.db",
            data=folder / "data",
            auto_migrate=str(auto_migrate).lower(),
        ),
        encoding="utf-8",
    )
    path.chmod(0o600)  # private, as it should be: else commands that read secrets warn
    return path


class _Entry:
    """What CliRunner.invoke needs of a command: a name and main(); runs `invoke`."""

    name = "xensocial"

    def __init__(self, app: App) -> None:
        self.app = app

    def main(self, args: Sequence[str], prog_name: str, **_: Any) -> None:
        sys.exit(invoke(list(args), self.app))


@dataclass
class CliHarness:
    config: Path
    db: Path
    clock: FakeClock

    def run(self, *args: str, clock: Any = None) -> Result:
        app = App(config_path=str(self.config), clock=clock or self.clock, user="tester")
        return CliRunner().invoke(_Entry(app), list(args))  # type: ignore[arg-type]

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)

    def dump(self) -> str:
        with sqlite3.connect(self.db) as conn:
            return "\n".join(conn.iterdump())

    def refused(self, *args: str) -> Result:
        """Run a command that must be refused as bad input: exit 2, one error line, no change."""
        before = self.dump()
        result = self.run(*args)
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        assert result.stderr.startswith("error: "), result.stderr
        assert "Traceback" not in result.stderr
        assert self.dump() == before
        return result


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    """A configuration with two channels and a database already migrated (by `db upgrade`)."""
    harness = CliHarness(write_config(tmp_path), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness
