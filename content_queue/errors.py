"""The queue's error tree: every error the queue API raises on purpose.

    QueueError
    ├── ItemNotFound          no item with that id
    ├── DuplicateItem         the URL is already queued or published (names the existing item)
    ├── InvalidItem           a field is missing or malformed (names the field)
    ├── InvalidTransition     the item's state does not allow the change
    ├── AlreadyOut            the change would rewrite what a post out (or going out) says
    ├── ImportFailed          a CSV import had bad rows; carries every row error with its line
    └── FileRefused           a CSV file refused as a whole before its rows (too large, not text)

Messages are built here, from the ids involved, so every caller reports the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AlreadyOut",
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


def _where(channels: Sequence[tuple[str, str]]) -> str:
    """`demo, x (unknown)`: the channels, with the state of those not plainly published."""
    return ", ".join(c if state == "published" else f"{c} ({state})" for c, state in channels)


class AlreadyOut(QueueError):
    """An edit that would make the record of a post untrue: refused, nothing changed.

    `channels` are (channel, delivery state) where the item is out or may be."""

    def __init__(self, item_id: int, channels: Sequence[tuple[str, str]], message: str) -> None:
        self.item_id = item_id
        self.channels = tuple(channels)
        super().__init__(message)

    @classmethod
    def link(cls, item_id: int, channels: Sequence[tuple[str, str]], url: str) -> AlreadyOut:
        """A new URL for an item already out: its posts carry the old link for good."""
        return cls(
            item_id,
            channels,
            f"item {item_id} is already out on {_where(channels)}, with its link; the link "
            f"cannot change. To post the new one, add it as an item of its own: "
            f"xensocial queue add {url}",
        )

    @classmethod
    def going(
        cls, item_id: int, channels: Sequence[tuple[str, str]], fields: Sequence[str]
    ) -> AlreadyOut:
        """A change of what a post is made from while one may be going out."""
        return cls(
            item_id,
            channels,
            f"item {item_id} may be out on {_where(channels)} right now; its "
            f"{', '.join(fields)} cannot change until that is settled "
            f"(see xensocial queue show {item_id})",
        )


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
