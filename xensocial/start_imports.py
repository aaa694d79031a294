"""The daemon's `import_at_start`: the configuration's CSV files added to the queue by a job of
their own, once the scheduler runs.

Why a job, and not a step of the start-up: a large file (50,000 rows) then held up the first
slot for minutes, and as the signal handlers were not installed yet, a SIGTERM meanwhile killed
the process (exit 143). Now the job runs in a thread of its own (the scheduler's `imports`
executor, `EXECUTOR`) while slots run in theirs; it commits a batch of rows at a time (a slot
waits at most one batch for SQLite's write lock), and it looks at the stop flag between
batches: a stop ends it within one batch, keeping what was committed (the next start skips
those rows as already queued), and the daemon waits for it before it closes the database.

Files are read as a stream within `[imports]` (`content_queue.csvrecords`): a file too large or
not CSV text is refused as a whole; bad rows are skipped. The rows' duplicates are looked for a
batch at a time, so importing the same file at every start stays cheap.

Log lines: `importing` (a file begins), `imported` (file, added, already_queued, bad),
`import_row_refused` (the first 10 bad rows of a file), `import_refused` (a file refused as a
whole), `import_stopped` (a stop cut it short), `import_failed` (an unexpected error: the
daemon goes on), `dry_run_would_import`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from content_queue.errors import DuplicateItem, FileRefused, RowError

if TYPE_CHECKING:
    from content_queue.queue import ContentQueue
    from content_queue.views import ItemView

    from .config import Settings
    from .media.probe import ProbedImage

__all__ = ["BATCH", "EXECUTOR", "StartImports"]

EXECUTOR = "imports"  # the scheduler executor (one thread) the job runs in
BATCH = 100  # rows per transaction: how long a slot may wait for the write lock
_SHOWN_ERRORS = 10  # bad rows logged per file (the rest are counted)

log = structlog.get_logger("xensocial.imports")


class _Tally:
    """What an import did, counted (a `bulk.BulkOutcome` that keeps no rows: a 50,000-row file
    costs the daemon no memory it keeps), with the first bad rows to log. The images of each
    row added are stored as it is added (content-addressed: a batch rolled back after it
    leaves a file nothing names, never a row naming a missing file); `images` holds the
    distinct images of the file being imported, read by `_rows`."""

    def __init__(self, images: dict[str, ProbedImage] | None = None, data_dir: Path = Path(".")):
        self.images = images if images is not None else {}
        self.data_dir = data_dir
        self.added = 0
        self.duplicates = 0
        self.refused = 0
        self.first_errors: list[RowError] = []

    def on_added(self, line: int, view: ItemView) -> None:
        self.added += 1
        if view.images:
            from .media.attach import store_images_of

            store_images_of(view, self.images, self.data_dir)

    def on_duplicate(self, line: int, duplicate: DuplicateItem) -> None:
        self.duplicates += 1

    def on_refused(self, error: RowError) -> None:
        self.refused += 1
        if len(self.first_errors) < _SHOWN_ERRORS:
            self.first_errors.append(error)


class StartImports:
    """The `import_at_start` job (see the module docstring): `schedule` it, `wait` for it."""

    def __init__(
        self,
        settings: Settings,
        queue: ContentQueue,
        *,
        stop: threading.Event,
        dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.stop = stop
        self.dry_run = dry_run
        self._done = threading.Event()
        if not settings.import_at_start:
            self._done.set()

    def schedule(self, scheduler: Any) -> None:
        """One `date` job, due now, in the `EXECUTOR` pool (which the scheduler must have)."""
        if self.settings.import_at_start:
            scheduler.add_job(self.run, "date", id="import_at_start", executor=EXECUTOR)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the job to end (or never to start); whether it did."""
        return self._done.wait(max(timeout, 0.0))

    def run(self) -> None:
        """Import each file in turn, until done or stopped; never raises."""
        try:
            for path in self.settings.import_at_start:
                if self.stop.is_set():
                    log.info("import_stopped", file=str(path), reason="stop requested")
                    return
                self._file(path)
        except Exception:
            log.exception("import_failed")
        finally:
            self._done.set()

    def _rows(
        self, path: Path, images: dict[str, ProbedImage]
    ) -> Iterator[tuple[int, Any] | RowError]:
        """The file's rows, each row's images read as `queue import` reads them (kept in
        `images` until the row is added; a bad one makes the row bad)."""
        from content_queue.csvimport import iter_csv

        from .errors import BadInput
        from .media.attach import read_row_images

        names = [c.name for c in self.settings.channels]
        for entry in iter_csv(
            path,
            default_channels=names,
            created_by=f"import_at_start@{self.settings.identity}",
            timezone=self.settings.timezone,
            limits=self.settings.imports,
        ):
            if isinstance(entry, RowError):
                yield entry
                continue
            try:
                yield entry[0], read_row_images(entry[1], path.parent, images)
            except BadInput as exc:
                yield RowError(entry[0], str(exc))

    def _file(self, path: Path) -> None:
        shown = str(path)
        log.info("importing", file=shown)
        images: dict[str, ProbedImage] = {}
        tally = _Tally(images, self.settings.data_dir)
        try:
            if self.dry_run:
                rows, bad = self._count(self._rows(path, {}))
                log.info("dry_run_would_import", file=shown, rows=rows, bad=bad)
                return
            finished = self.queue.import_rows(
                self._rows(path, images),
                tally,
                skip_bad=True,
                path=shown,
                commit_each_batch=True,
                stop=self.stop.is_set,
                batch=BATCH,
            )
        except FileRefused as exc:
            log.warning("import_refused", file=shown, reason=exc.problem)
            return
        counts = {
            "added": tally.added,
            "already_queued": tally.duplicates,
            "bad": tally.refused,
        }
        if finished:
            log.info("imported", file=shown, **counts)
        else:
            log.info("import_stopped", file=shown, reason="stop requested", **counts)
        for error in tally.first_errors:
            log.warning("import_row_refused", file=shown, detail=str(error))

    def _count(self, rows: Iterable[tuple[int, Any] | RowError]) -> tuple[int, int]:
        """Good and bad rows, read without keeping them (a dry run writes nothing)."""
        good = bad = 0
        for n, entry in enumerate(rows):
            if n % 1000 == 0 and self.stop.is_set():
                break
            if isinstance(entry, RowError):
                bad += 1
            else:
                good += 1
        return good, bad
