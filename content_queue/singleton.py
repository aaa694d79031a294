"""Named locks that one process holds at a time, across every replica of one database.

Replicas share nothing but the database, so work that must not run twice at once (polling a
feed, a metrics round) and the claim "I am replica X" are locked there. The locks never wait:
`try_acquire` answers at once, None when another process holds the name, and the caller skips
its turn (the next turn, or another replica, does the work).

PostgreSQL: a *session-level* advisory lock (`pg_try_advisory_lock`) taken on a connection the
holder keeps checked out of the pool until it releases the lock. Chosen over the transaction
lock (`pg_try_advisory_xact_lock`) because the work it guards makes network calls and commits
many short transactions of its own: a transaction lock would mean one transaction held open
across those calls (idle in transaction, a snapshot pinned, every write in one commit). The
session lock is held outside any transaction, and the server frees it when the session ends, so
a replica killed with SIGKILL releases its locks as soon as its socket closes. If the connection
is lost while the work goes on, the lock goes with it: the guarded work must stay safe to run
twice (feed entries and engagement samples are unique in the database), the lock only keeps
replicas from doing it twice at the same time. Advisory locks belong to the whole database, not
to a schema, so the key is made from the schema too (`current_schema()`): installations that
share one database in separate schemas never lock one another out.

SQLite (one host): an exclusive `flock` on a file in `<database>-locks/` next to the database
file, which the kernel frees when the process dies. An in-memory database, or a system without
`fcntl`, belongs to one process: the lock is always granted.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .files import open_private, private_dir

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows; a single process there
    fcntl = None  # type: ignore[assignment]

__all__ = ["Held", "Singletons", "advisory_key"]


def advisory_key(schema: str, name: str) -> int:
    """The signed 64-bit key PostgreSQL's advisory locks take, for `name` in `schema`."""
    digest = hashlib.blake2b(f"xensocial:{schema}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Held:
    """A lock this process holds; `release()` gives it back (idempotent)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._released = False

    @property
    def released(self) -> bool:
        return self._released

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._let_go()

    def _let_go(self) -> None:
        """Nothing to give back (a lock that is always granted)."""


class _PostgresHeld(Held):
    def __init__(self, name: str, conn: Connection, key: int) -> None:
        super().__init__(name)
        self._conn, self._key = conn, key

    def _let_go(self) -> None:
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            self._conn.commit()
        except SQLAlchemyError:
            # The session is gone or broken: drop the connection rather than return it to the
            # pool, so a lock it might still hold ends with it.
            self._conn.invalidate()
        finally:
            self._conn.close()


class _FileHeld(Held):
    def __init__(self, name: str, fd: int) -> None:
        super().__init__(name)
        self._fd = fd

    def _let_go(self) -> None:
        os.close(self._fd)  # closing the descriptor drops the flock


class Singletons:
    """Non-blocking named locks for the processes sharing `engine`'s database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        url = engine.url
        self._postgres = url.get_backend_name() == "postgresql"
        database = url.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file:")
        self._lock_dir = (
            None
            if self._postgres or in_memory or fcntl is None
            else Path(database).expanduser().with_name(Path(database).name + "-locks")
        )

    def try_acquire(self, name: str) -> Held | None:
        """Take the lock `name` if no other process (or other holder here) has it; else None.

        Raises SQLAlchemyError when PostgreSQL cannot be reached, OSError when the lock file
        cannot be created."""
        if self._postgres:
            return self._acquire_postgres(name)
        if self._lock_dir is None:
            return Held(name)
        return self._acquire_file(name)

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """`with locks.hold("feed:xen") as mine:` — True (and held until the block ends) when
        this process got the lock, False when another holds it."""
        held = self.try_acquire(name)
        try:
            yield held is not None
        finally:
            if held is not None:
                held.release()

    def _acquire_postgres(self, name: str) -> Held | None:
        conn = self.engine.connect()
        try:
            key = advisory_key(str(conn.scalar(text("SELECT current_schema()"))), name)
            got = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            conn.commit()  # the lock is the session's: no transaction stays open while held
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return None
        return _PostgresHeld(name, conn, key)

    def _acquire_file(self, name: str) -> Held | None:
        assert self._lock_dir is not None and fcntl is not None
        private_dir(self._lock_dir)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
        digest = hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
        fd = open_private(self._lock_dir / f"{safe}-{digest}.lock", os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            with suppress(OSError):
                os.close(fd)
            raise
        return _FileHeld(name, fd)
