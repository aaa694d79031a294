"""What SQL a piece of code sends: one recorder for the tests that count statements or read
their query plans (an index serves the question; one statement per slot; one rescan query)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["recorded_sql"]


@contextmanager
def recorded_sql(
    engine: Engine, kinds: tuple[str, ...] | None = ("SELECT",)
) -> Iterator[list[tuple[str, Any]]]:
    """The statements `engine` runs inside the block, with their parameters: those whose first
    word is one of `kinds` (every statement with `kinds=None`)."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if kinds is None or statement.lstrip().upper().startswith(kinds):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
