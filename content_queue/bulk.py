"""Adding many rows in one pass, each named by its line: the one loop behind every import
(`queue import`, `clips import`, `activity import`, the daemon's `import_at_start`, coverage
feeds).

Rows come as a stream (a CSV file read as it is asked for, `csvimport.iter_rows`) and are
handled a batch at a time: each row is checked (`BulkKind.check`); the rows of the batch that
repeat one already stored are found with one query (`BulkKind.stored`), those that repeat an
earlier row of the batch by their key (rows of earlier batches are in the database by then);
the others pass the caller's last check (`admit`, e.g. "fits every channel": work not wasted on
repeats) and are inserted; the session is then flushed and emptied. So the cost of a row does
not grow with the rows before it, and memory holds one batch: a re-import of 50,000 rows takes
seconds. (It took minutes when every row had its own savepoint, rolled back for each repeat:
each rollback walked every object the session held.)

A bad row (a RowError from the reader, InvalidItem from `check`, a problem from `admit`) is
reported; a repeat is skipped and reported, never bad. Unless `skip_bad`, once a row is bad
nothing more is inserted, the rest is still read and checked the same way (one import names
every bad line) and the whole import is undone: ImportFailed. What "a row", "a repeat" and "the
same" mean is the caller's (`BulkKind`).

Transactions: one for the whole import (a command changes all or nothing), or one per batch
(`commit_each_batch`, for the daemon's start-up import: a slot never waits for more than one
batch's write, and a stop keeps what was committed; a re-run skips it as repeats). `stop` is
asked between batches.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Generic, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from .errors import ImportFailed, InvalidItem, QueueError, RowError

__all__ = ["BATCH", "BulkKind", "BulkOutcome", "add_rows"]

BATCH = 500  # rows per query for repeats, per flush, and per commit with `commit_each_batch`

NewT = TypeVar("NewT")
ViewT = TypeVar("ViewT")
DupT = TypeVar("DupT", bound=QueueError)
NewT_contra = TypeVar("NewT_contra", contravariant=True)
ViewT_contra = TypeVar("ViewT_contra", contravariant=True)
DupT_contra = TypeVar("DupT_contra", bound=QueueError, contravariant=True)


class BulkKind(Protocol[NewT, ViewT, DupT]):
    """How one kind of row is added in bulk."""

    def check(self, new: NewT) -> NewT:
        """The row cleaned, or InvalidItem naming its first bad field (no database)."""

    def key(self, new: NewT) -> Hashable | None:
        """What two checked rows that are the same share (None: the row is never a repeat)."""

    def stored(
        self, s: Session, batch: Sequence[NewT], keys: Sequence[Hashable | None]
    ) -> list[DupT | None]:
        """For each checked row of `batch` (with its `key`), the error naming the stored row
        it repeats, or None: one query for the whole batch."""

    def insert(self, s: Session, new: NewT) -> ViewT:
        """Insert a checked row found new; InvalidItem only before anything is written, the
        repeat error when another process stored the same row meanwhile."""

    def repeat_of(self, new: NewT, earlier: ViewT) -> DupT:
        """The error naming the row of this import that `new` repeats."""


class BulkOutcome(Protocol[ViewT_contra, DupT_contra]):
    """What an import is told, row by row: added, skipped as a repeat, refused."""

    def on_added(self, line: int, view: ViewT_contra) -> None: ...

    def on_duplicate(self, line: int, duplicate: DupT_contra) -> None: ...

    def on_refused(self, error: RowError) -> None: ...


def add_rows(
    sessions: sessionmaker[Session],
    rows: Iterable[tuple[int, NewT] | RowError],
    kind: BulkKind[NewT, ViewT, DupT],
    repeat: type[DupT] | tuple[type[DupT], ...],
    outcome: BulkOutcome[ViewT, DupT],
    *,
    skip_bad: bool,
    path: str,
    admit: Callable[[NewT], str | None] | None = None,
    commit_each_batch: bool = False,
    stop: Callable[[], bool] | None = None,
    batch: int = BATCH,
) -> bool:
    """Tell `outcome` what became of each of `rows` (see the module docstring); True when
    every row was read, False when `stop` ended the import first (only with
    `commit_each_batch`: a single transaction is never cut short). `admit(row)` is why a
    checked row that repeats nothing cannot be added, or None.

    Raises ImportFailed (and keeps nothing) when a row was bad and not `skip_bad`, which
    `commit_each_batch` requires."""
    if commit_each_batch and not skip_bad:
        raise ValueError("commit_each_batch keeps the batches before a bad row: needs skip_bad")
    run = _Run(kind, repeat, outcome, skip_bad, admit)
    batches = _batches(iter(rows), batch)
    if commit_each_batch:
        for chunk in batches:
            if stop is not None and stop():
                return False
            with sessions.begin() as s:
                run.batch(s, chunk)
        return True
    with sessions.begin() as s:
        for chunk in batches:
            run.batch(s, chunk)
        if run.errors and not skip_bad:
            s.rollback()
            raise ImportFailed(path, sorted(run.errors, key=lambda e: e.line))
    return True


def _batches(
    rows: Iterator[tuple[int, NewT] | RowError], size: int
) -> Iterator[list[tuple[int, NewT] | RowError]]:
    while chunk := list(islice(rows, size)):
        yield chunk


class _Run(Generic[NewT, ViewT, DupT]):
    """One import's state: the rows refused so far (for ImportFailed) and, once a bad row has
    stopped the writing (`failing`), the keys of the good rows since, which are not stored."""

    def __init__(
        self,
        kind: BulkKind[NewT, ViewT, DupT],
        repeat: type[DupT] | tuple[type[DupT], ...],
        outcome: BulkOutcome[ViewT, DupT],
        skip_bad: bool,
        admit: Callable[[NewT], str | None] | None,
    ) -> None:
        self.kind = kind
        self.repeat = repeat
        self.outcome = outcome
        self.skip_bad = skip_bad
        self.admit = admit
        self.errors: list[RowError] = []
        self.unstored: set[Hashable] = set()

    @property
    def failing(self) -> bool:
        """A bad row was found and the import will be undone: nothing more is written."""
        return bool(self.errors) and not self.skip_bad

    def refuse(self, error: RowError) -> None:
        self.errors.append(error)
        self.outcome.on_refused(error)

    def batch(self, s: Session, chunk: list[tuple[int, NewT] | RowError]) -> None:
        kind = self.kind
        checked: list[tuple[int, NewT, Hashable | None]] = []
        for entry in chunk:
            if isinstance(entry, RowError):
                self.refuse(entry)
                continue
            line, new = entry
            try:
                new = kind.check(new)
                checked.append((line, new, kind.key(new)))
            except InvalidItem as bad:
                self.refuse(RowError(line, str(bad)))
        stored = kind.stored(s, [new for _, new, _ in checked], [key for _, _, key in checked])
        earlier: dict[Hashable, ViewT] = {}
        for (line, new, key), duplicate in zip(checked, stored, strict=True):
            if duplicate is None and key is not None:
                if key in self.unstored:
                    continue  # repeats a good row after a bad one: neither is kept
                if key in earlier:
                    duplicate = kind.repeat_of(new, earlier[key])
            if duplicate is not None:
                self.outcome.on_duplicate(line, duplicate)
                continue
            problem = self.admit(new) if self.admit is not None else None
            if problem is not None:
                self.refuse(RowError(line, problem))
                continue
            if self.failing:  # nothing will be kept: the rest is only checked
                if key is not None:
                    self.unstored.add(key)
                continue
            try:
                view = kind.insert(s, new)
            except InvalidItem as bad:
                self.refuse(RowError(line, str(bad)))
                continue
            except self.repeat as raced:
                self.outcome.on_duplicate(line, raced)
                continue
            self.outcome.on_added(line, view)
            if key is not None:
                earlier[key] = view
        s.flush()
        s.expunge_all()  # the views are taken: the session holds one batch at a time
