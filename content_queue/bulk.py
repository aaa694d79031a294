"""Adding many rows in one transaction, each named by its line: the one loop behind every import
(`queue import`, `clips import`, `activity import`).

A row that repeats one already stored (or an earlier row) is skipped and reported; a bad row
makes the whole import refuse, naming every bad line, unless `skip_bad`, when the good rows go
in. What "add one row" and "a repeat" mean is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from .errors import ImportFailed, InvalidItem, QueueError, RowError

__all__ = ["BulkOutcome", "add_rows"]

NewT = TypeVar("NewT")
ViewT = TypeVar("ViewT")
DupT = TypeVar("DupT", bound=QueueError)


class BulkOutcome(Protocol[ViewT, DupT]):
    """What an import fills in: rows added, repeats skipped, rows refused (with line numbers)."""

    added: list[tuple[int, ViewT]]
    duplicates: list[tuple[int, DupT]]
    refused: list[RowError]


def add_rows(
    sessions: sessionmaker[Session],
    rows: Sequence[tuple[int, NewT]],
    add: Callable[[Session, NewT], ViewT],
    repeat: type[DupT] | tuple[type[DupT], ...],
    result: BulkOutcome[ViewT, DupT],
    *,
    skip_bad: bool,
    path: str,
) -> None:
    """Fill `result` by calling `add` for each row in one transaction; `add` raises `repeat`
    for a row already there and InvalidItem for a bad one. Raises ImportFailed (and writes
    nothing) when a row was bad and not `skip_bad`."""
    with sessions.begin() as s:
        for line, new in rows:
            try:
                result.added.append((line, add(s, new)))
            except repeat as dup:
                result.duplicates.append((line, dup))
            except InvalidItem as bad:
                result.refused.append(RowError(line, str(bad)))
        if result.refused and not skip_bad:
            s.rollback()
            raise ImportFailed(path, result.refused)
