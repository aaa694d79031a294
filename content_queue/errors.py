"""The queue's error tree: every error the queue API raises on purpose.

    QueueError
    ├── ItemNotFound          no item with that id
    ├── DuplicateItem         the URL is already queued or published (names the existing item)
    ├── InvalidItem           a field is missing or malformed (names the field)
    ├── InvalidTransition     the item's state does not allow the change
    ├── ImportFailed          a CSV import had bad rows; carries every row error with its line
    └── FileRefused           a CSV file refused as a whole before its rows (too large, not text)

Messages are built here, from the ids involved, so every caller reports the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DuplicateItem",
    "FileRefused",
    "ImportFailed",
    "InvalidItem",
    "InvalidTransition",
    "ItemNotFound",
    "QueueError",
    "RowError",
]


class QueueError(Exception):
    """Base class of every error the queue raises deliberately."""


class ItemNotFound(QueueError):
    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(f"no item with id {item_id}")


class DuplicateItem(QueueError):
    def __init__(self, url: str, existing_id: int, existing_state: str) -> None:
        self.url = url
        self.existing_id = existing_id
        self.existing_state = existing_state
        super().__init__(
            f"{url} is already in the queue as item {existing_id} ({existing_state}); "
            "use --allow-duplicate to add it again"
        )


class InvalidItem(QueueError):
    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class InvalidTransition(QueueError):
    def __init__(self, item_id: int, state: str, action: str) -> None:
        self.item_id = item_id
        self.state = state
        self.action = action
        super().__init__(f"item {item_id} is {state}; it cannot be {action}")


@dataclass(frozen=True)
class RowError:
    """One bad row of an import: the line number in the file, and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportFailed(QueueError):
    def __init__(self, path: str, errors: Sequence[RowError]) -> None:
        self.path = path
        self.errors = tuple(errors)
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(
            f"{path}: {len(self.errors)} bad row(s); nothing was imported "
            f"(fix them, or use --skip-bad to import the good rows)\n{lines}"
        )


class FileRefused(QueueError):
    """A file an import will not read as rows: larger than the import's limit, or not a CSV
    text file at all (its first line far too long, or binary). One line, naming the file, what
    is wrong and the setting that decides it, so `/dev/zero` costs a read of 64 KiB, not the
    machine's memory."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")
