"""The queue's error tree: every exception class of `content_queue`, drawn here and defined here.

    QueueError                  an error the queue raises on purpose (the CLI: exit 2, its message)
    ├── ItemNotFound            no item with that id
    ├── DuplicateItem           the URL is already queued or published (names the existing item)
    ├── InvalidItem             a field is missing or malformed (names the field)
    ├── InvalidTransition       the item's state does not allow the change
    ├── AlreadyOut              the change would rewrite what a post out (or going out) says
    ├── ImportFailed            a CSV import had bad rows; carries every row error with its line
    ├── FileRefused             a CSV file refused as a whole before its rows (too large, not text)
    ├── FeedNotFound            no feed of that name (sources)
    ├── FeedExists              a feed of that name is already there, managed by someone (sources)
    ├── BlackoutNotFound        no blackout with that id (blackouts)
    ├── InvalidBlackout         a blackout's period or reason cannot be used (blackouts)
    ├── DuplicateClip           the press clip's URL is already recorded (coverage)
    ├── DuplicateActivity       the same activity, day and title is already recorded (coverage)
    ├── AccountNotFound         no console account of that name (accounts)
    └── AccountExists           a console account of that name is already there (accounts)
    EvergreensNeeded            not an error: the forecast asks to be played again with the
                                channel's evergreen items (forecast; its caller catches it)

Messages are built here, from the ids involved, so every caller reports the same words. The
modules that raise an error also re-export it (`sources.FeedNotFound`), as before.
tests/test_error_trees.py finds every exception class defined in the package and fails when
one is missing from this drawing or drawn under the wrong parent; private ones (`_Name`), which
never leave their module, are not drawn. Light on purpose: the plain DB-API path raises these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = [
    "AccountExists",
    "AccountNotFound",
    "AlreadyOut",
    "BlackoutNotFound",
    "DuplicateActivity",
    "DuplicateClip",
    "DuplicateItem",
    "EvergreensNeeded",
    "FeedExists",
    "FeedNotFound",
    "FileRefused",
    "InvalidBlackout",
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
    def thread(cls, item_id: int, channels: Sequence[tuple[str, str]]) -> AlreadyOut:
        """New replies for an item already out: its thread answers the post that went out."""
        return cls(
            item_id,
            channels,
            f"item {item_id} is already out on {_where(channels)}; its replies cannot change. "
            "To post a follow-up, add it as an item of its own",
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

    @classmethod
    def images(cls, item_id: int, channels: Sequence[tuple[str, str]]) -> AlreadyOut:
        """New images for an item out (or going out) anywhere: every post of an item shows
        the same images, so they change only while none is out."""
        return cls(
            item_id,
            channels,
            f"item {item_id} is already out on {_where(channels)}; its images cannot change. "
            f"To post other images, add them with an item of its own",
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


class FeedNotFound(QueueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no feed named {name!r} (see `xensocial feeds list`)")


class FeedExists(QueueError):
    def __init__(self, name: str, managed_by: str) -> None:
        self.name = name
        super().__init__(f"a feed named {name!r} already exists (managed by {managed_by})")


class BlackoutNotFound(QueueError):
    def __init__(self, blackout_id: int) -> None:
        self.blackout_id = blackout_id
        super().__init__(f"no blackout with id {blackout_id} (see `xensocial blackout list`)")


class InvalidBlackout(QueueError):
    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"blackout: {problem}")


class DuplicateClip(QueueError):
    def __init__(self, url: str, existing_id: int, existing_title: str) -> None:
        self.url = url
        self.existing_id = existing_id
        named = f" ({existing_title})" if existing_title else ""
        super().__init__(f"{url} is already clip {existing_id}{named}")


class DuplicateActivity(QueueError):
    def __init__(self, kind: str, day: date, title: str, existing_id: int) -> None:
        self.existing_id = existing_id
        super().__init__(
            f"the {kind} {title!r} of {day.isoformat()} is already activity {existing_id}"
        )


class EvergreensNeeded(Exception):
    """The forecast of `channel` asks for evergreen items its snapshot was read without.

    A signal, not an error (so not a QueueError, which the CLI reports as bad input): the caller
    reads the channel's evergreen items and plays its forecast again (`xensocial.forecast`)."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"the forecast of {channel!r} needs its evergreen items")
        self.channel = channel


class AccountNotFound(QueueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no account named {name!r}")


class AccountExists(QueueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"an account named {name!r} already exists")
