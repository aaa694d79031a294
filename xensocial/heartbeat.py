"""The daemon's heartbeat: a record, renewed only by work that reached the database.

A timer that touches a file whatever happens says the process is alive, not that it can post:
with its database read-only, the daemon crashed every slot while the old heartbeat stayed fresh
(issue 15). So the beat is renewed only when

- a **slot** (or a pinned time) completes its database work: it claimed the slot in the ledger
  and recorded the outcome, posting or not; or
- a **tick** (a scheduler job, every third of `[health] stale_after`) completes its own: a
  committed write that changes nothing (`UPDATE alembic_version SET version_num =
  version_num`, the smallest committed write the schema has, which a read-only file, a full
  disk or a read-only PostgreSQL refuses). A dry run writes nothing, so its tick only reads.

and the record also keeps what went wrong since: how many slots in a row crashed (and why the
latest did), and why the latest tick's write was refused. `xensocial.reporting.health.judge`
turns a record into healthy or not; `/healthz` judges the daemon's record in memory, `xensocial
health` the copy this module writes to `<data_dir>/heartbeat` after every change (JSON, 0600,
replaced atomically; a beat alone at most once a second, so a storm of slots is not a storm of
writes). A copy that cannot be written is itself a problem `/healthz` reports,
since `xensocial health` (the container's HEALTHCHECK) will find it stale.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from .filemodes import atomic_write

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from content_queue.timeutil import Clock

__all__ = [
    "HEARTBEAT_FILE",
    "Beat",
    "Heartbeat",
    "heartbeat_path",
    "probe_writes",
    "read_beat",
]

HEARTBEAT_FILE = "heartbeat"
SAVE_EVERY = 1.0  # seconds: a beat alone (no other change) is written at most this often
_LOCK_TIMEOUT_MS = 5_000  # PostgreSQL: a probe waits this long for a row a migration holds

log = structlog.get_logger("xensocial.heartbeat")


def heartbeat_path(data_dir: Path) -> Path:
    """Where the daemon keeps its heartbeat record: `<data_dir>/heartbeat`."""
    return data_dir / HEARTBEAT_FILE


@dataclass(frozen=True)
class Beat:
    """What the daemon last knew of its own health (see the module doc).

    `unsaved` is never in the file: it says why the daemon could not write the file itself."""

    at: datetime | None = None  # the latest slot or tick that completed its database work
    crashed_in_a_row: int = 0  # slots crashed since the latest one that completed
    last_crash: str | None = None  # why the latest crashed slot crashed
    write_refused: str | None = None  # why the latest tick's write failed; None after a success
    identity: str = ""
    pid: int = 0
    unsaved: str | None = None

    def as_json(self) -> str:
        record = asdict(self)
        del record["unsaved"]
        record["at"] = self.at.isoformat() if self.at else None
        return json.dumps(record, ensure_ascii=False, sort_keys=True)


def read_beat(path: Path) -> Beat | str:
    """The record at `path`, or why there is none to judge (a one-line problem). Creates
    nothing and changes nothing."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return f"no heartbeat at {path} (is the daemon running?)"
    except OSError as exc:
        return f"the heartbeat {path} cannot be read: {exc.strerror or exc}"
    try:
        record: Any = json.loads(raw)
        at = record["at"]
        return Beat(
            at=datetime.fromisoformat(at) if at is not None else None,
            crashed_in_a_row=int(record["crashed_in_a_row"]),
            last_crash=_text(record.get("last_crash")),
            write_refused=_text(record.get("write_refused")),
            identity=str(record.get("identity", "")),
            pid=int(record.get("pid", 0)),
        )
    except (ValueError, TypeError, KeyError):
        return (
            f"the heartbeat {path} is not a record this version writes "
            "(a daemon of another version, or a damaged file)"
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def probe_writes(engine: Engine, *, read_only: bool = False) -> None:
    """The tick's database work: a committed write that changes nothing (a read when
    `read_only`, for a dry run). Raises what the database raises when it refuses."""
    from sqlalchemy import text

    with engine.begin() as conn:
        if read_only:
            conn.execute(text("SELECT version_num FROM alembic_version")).all()
            return
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL lock_timeout = {_LOCK_TIMEOUT_MS}"))
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))


def describe(exc: BaseException) -> str:
    """One line for a failure: a database error's own message, without SQLAlchemy's wrapper
    (the SQL and a link); cut at 200 characters."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:200]}" if lines else type(cause).__name__


class Heartbeat:
    """The daemon's record, renewed by its slots and ticks; thread-safe (slots run in pools)."""

    def __init__(
        self,
        path: Path,
        engine: Engine,
        *,
        clock: Clock,
        identity: str,
        read_only: bool = False,
    ) -> None:
        self.path, self.engine, self.clock = path, engine, clock
        self.read_only = read_only
        self._lock = threading.Lock()
        self._beat = Beat(identity=identity, pid=os.getpid())
        self._saved: Beat | None = None  # what the file holds

    def current(self) -> Beat:
        """The record as it stands (with `unsaved` when the file could not be written)."""
        with self._lock:
            return self._beat

    def tick(self) -> None:
        """The scheduler's tick: probe the database; a success renews the beat."""
        try:
            probe_writes(self.engine, read_only=self.read_only)
        except Exception as exc:  # whatever the database says, it is the tick's answer
            reason = describe(exc)
            log.error("heartbeat_write_refused", reason=reason)
            self._change(lambda b: replace(b, write_refused=reason))
            return
        now = self.clock()
        self._change(lambda b: replace(b, at=now, write_refused=None))

    def slot_completed(self) -> None:
        """A slot (or pinned time) did its database work: the beat, and no crash in a row."""
        now = self.clock()
        self._change(
            lambda b: replace(b, at=now, crashed_in_a_row=0, last_crash=None, write_refused=None)
        )

    def slot_crashed(self, exc: BaseException) -> None:
        """A slot raised. Counted; when the database is what failed, the tick's probe runs
        at once, so a database that refuses writes is said before the next tick."""
        from sqlalchemy.exc import SQLAlchemyError

        reason = describe(exc)
        self._change(
            lambda b: replace(b, crashed_in_a_row=b.crashed_in_a_row + 1, last_crash=reason)
        )
        if isinstance(exc, SQLAlchemyError):
            self.tick()

    def _change(self, change: Callable[[Beat], Beat]) -> None:
        with self._lock:
            beat = change(self._beat)
            # Slots completing together renew only `at`: written once a second, not once per
            # slot (each write is a rename and an fsync). Every other change is written at once.
            saved = self._saved
            if (
                saved is not None
                and replace(beat, at=saved.at) == saved
                and beat.at is not None
                and saved.at is not None
                and (beat.at - saved.at).total_seconds() < SAVE_EVERY
            ):
                self._beat = beat
                return
            self._beat = self._save(beat)

    def _save(self, beat: Beat) -> Beat:
        # Under the lock: two slots finishing together must not write the file out of order.
        try:
            with atomic_write(self.path) as f:
                f.write(beat.as_json() + "\n")
        except OSError as exc:
            problem = f"the heartbeat {self.path} cannot be written: {exc.strerror or exc}"
            if beat.unsaved != problem:
                log.warning("heartbeat_failed", path=str(self.path), reason=exc.strerror)
            self._saved = None
            return replace(beat, unsaved=problem)
        beat = replace(beat, unsaved=None)
        self._saved = beat
        return beat
