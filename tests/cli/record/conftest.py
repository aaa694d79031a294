"""A desk for the record tests: the CLI on a configuration with two outbox channels, over the
`engine` fixture's database (SQLite and PostgreSQL), and the real publisher with the real
outbox adapters posting into files, so what went out can be read back line by line.

`desk.post(channel)` runs one slot of that channel as the daemon does; `desk.outbox(channel)`
is what the network (a file) holds; `desk.dump()` is every row of the queue's tables, on either
backend, to prove that a refused or no-op command changed nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import text
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger
from tests.cli.conftest import CliHarness
from tests.conftest import FakeClock
from xensocial.adapters.factory import build_adapter
from xensocial.config import load_settings
from xensocial.publishing import Publisher, SlotResult

__all__ = ["Desk"]

CONFIG = """\
database_url = "{database_url}"
data_dir = "{data}"
timezone = "UTC"
identity = "record-test"

[[channels]]
name = "demo"
network = "outbox"
cron = "0 * * * * *"
max_per_day = 50
utm = {{ utm_source = "demo" }}
[channels.options]
path = "outbox-demo.jsonl"

[[channels]]
name = "fast"
network = "outbox"
cron = "0 * * * * *"
max_per_day = 50
[channels.options]
path = "outbox-fast.jsonl"

[report.themes]
first = ["original"]
second = ["rewritten"]

[intake]
fetch_link_details = false
"""

_TABLES = ("items", "deliveries", "audit_log", "channel_states")


@dataclass
class Desk:
    cli: CliHarness
    engine: Engine
    clock: FakeClock
    data: Path
    slots: list[datetime] = field(default_factory=list)

    def ok(self, *args: str) -> Result:
        return self.cli.ok(*args)

    def json(self, *args: str) -> Any:
        return self.cli.json(*args)

    def post(self, channel: str) -> SlotResult:
        """One slot of `channel` now, run by the real publisher with the real outbox adapter."""
        settings = load_settings(self.cli.config)
        config = settings.channel(channel)
        publisher = Publisher(
            Ledger(self.engine, self.clock),
            {channel: build_adapter(settings, config, clock=self.clock)},
            settings,
            identity=settings.identity,
            clock=self.clock,
            sleep=lambda _: True,
        )
        self.clock.advance(minutes=1)
        return publisher.run_slot(config, self.clock().replace(second=0, microsecond=0))

    def outbox(self, channel: str) -> list[dict[str, Any]]:
        """The posts the channel's outbox file holds, oldest first."""
        path = self.data / f"outbox-{channel}.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def refused(self, *args: str) -> Result:
        """A command refused as bad input: exit 2, one error line, not a row changed."""
        before = self.dump()
        result = self.cli.run(*args)
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert self.dump() == before
        return result

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.engine.connect() as conn:
            return {
                table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
                for table in _TABLES
            }

    def queue(self) -> ContentQueue:
        return ContentQueue(self.engine, self.clock)


@pytest.fixture
def desk(engine: Engine, database_url: str, tmp_path: Path, clock: FakeClock) -> Desk:
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "xensocial.toml"
    config.write_text(CONFIG.format(database_url=database_url, data=data), encoding="utf-8")
    config.chmod(0o600)
    return Desk(CliHarness(config, data / "unused.db", clock), engine, clock, data)


def later(clock: FakeClock, minutes: int = 5) -> datetime:
    """Move the clock on: a command that changes something would stamp a later time."""
    return clock.advance(timedelta(minutes=minutes))
