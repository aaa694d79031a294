"""Shared set-up of the editorial-control tests: the queue, the ledger and the audit log on each
backend (the `engine` fixture), and the CLI harness on a SQLite file (`tests/cli`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import NewItem
from content_queue.audit import AuditLog, AuditRecord
from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock
from tests.storage.queue.conftest import ledger, queue  # noqa: F401 - the queue suite's fixtures

__all__ = ["actions", "new_item"]


def new_item(url: str, channels: tuple[str, ...] = ("demo", "fast"), **fields: object) -> NewItem:
    return NewItem(url=url, channels=channels, **fields)  # type: ignore[arg-type]


def actions(entries: list[AuditRecord]) -> list[tuple[str, str, int | None, str | None]]:
    """(action, actor, item, channel) of each entry, oldest first: what most tests compare."""
    return [(e.action, e.actor, e.item_id, e.channel) for e in reversed(entries)]


@pytest.fixture
def audit(engine: Engine) -> AuditLog:
    return AuditLog(engine)


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    """The CLI on two channels, `demo` (09:30 and 15:00 Amsterdam) and `fast` (every 10 s)."""
    harness = CliHarness(write_config(tmp_path), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    return harness
