"""Engines and sessions for the queue's database, SQLite or PostgreSQL.

SQLite is the embedded default and is set up so that the CLI can write while the daemon runs:
WAL journal (readers never block the writer), a busy timeout (a writer waits instead of failing
with "database is locked"), and `BEGIN IMMEDIATE` for every transaction (a transaction takes the
write lock when it starts, so two writers queue up instead of deadlocking on a lock upgrade).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from .dbapi import SQLITE_BUSY_TIMEOUT_MS, SQLITE_SETUP
from .files import private_dir, private_file
from .timeutil import Clock, system_clock

__all__ = [
    "POOL_OVERFLOW",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_READER_MMAP",
    "Store",
    "make_engine",
    "make_sessionmaker",
    "map_for_reads",
    "plan_for_cached_reads",
]

POOL_OVERFLOW = 5  # connections opened for a moment beyond `connections`, closed once returned


def make_engine(url: str, *, connections: int | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`; for a SQLite file, its folder is created if missing (0700), and the
    file itself (0600, so SQLite's `-wal` and `-shm` are too) just before the first connection
    would create it: see `files`.

    `connections`: how many threads may use the engine at the same time (the daemon's workers
    and the rest, see `xensocial.concurrency`). The pool then keeps up to that many connections,
    opened as they are first needed, so that no thread waits for one: SQLAlchemy's default (5,
    plus 10 overflow) makes the 16th wait up to 30 s, then fail. Without it, the default."""
    parsed = make_url(url)
    memory = parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed.database)
    if connections is not None and not (parsed.get_backend_name() == "sqlite" and memory):
        kwargs.setdefault("pool_size", connections)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    database = parsed.database
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        private_dir(path.parent)

        @event.listens_for(engine, "do_connect")
        def _private_file(*_args: Any) -> None:
            if not path.exists():
                private_file(path)  # else SQLite would create it 0644 under the usual umask

    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN, instead of pysqlite's own deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_SETUP:  # the plain path's connections run the same (`dbapi`)
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        # A COMMIT that SQLite refused (a deferred constraint, a full disk) leaves its
        # transaction open, and the write lock held, while SQLAlchemy takes the transaction for
        # ended and returns the connection to the pool as it is: every other writer would then
        # wait for the lock, and fail. Whatever is still open when a connection comes back is
        # rolled back.
        if dbapi_connection is not None and dbapi_connection.in_transaction:
            dbapi_connection.rollback()


SQLITE_READER_MMAP = 256 * 1024 * 1024
"""Bytes of a SQLite file a reader maps into memory (`map_for_reads`)."""


def map_for_reads(engine: Engine) -> None:
    """Let `engine`'s SQLite connections read the file through a memory map of
    `SQLITE_READER_MMAP` bytes (`PRAGMA mmap_size`); anything but SQLite is left as it is.

    For a process that reads much and writes little, the web console: its calendar reads every
    pending delivery of every channel with its item (some 7,000 rows looked up by key in a
    100,000-item queue), and through the map instead of copies into SQLite's page cache that
    read takes a third less time (bench/web_pages.py, docs/benchmarks.md). The map is the
    operating system's page cache, shared and given back under memory pressure; the daemon
    does not ask for it and keeps SQLite's defaults (its memory is measured, bench/idle.py).
    Set at each checkout, so connections the pool holds already are mapped too; calling it
    again on the same engine adds nothing."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "checkout", _map_file):
        event.listen(engine, "checkout", _map_file)


def _map_file(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA mmap_size={SQLITE_READER_MMAP}")
    cursor.close()


def plan_for_cached_reads(conn: Connection) -> None:
    """On PostgreSQL, plan the rest of the transaction begun on `conn` for a database held in
    memory or on SSDs: `random_page_cost` 1.1 (the usual value for them) instead of the
    default 4.0, which assumes spinning disks. With 4.0 the planner hashes every item ever
    queued rather than look up by key the few a read concerns: the monthly report's
    engagement (580 -> 58 ms, bench/report.py), the forecast's pending items, the calendar's
    month of records (51 -> 11 ms on the server, bench/web_pages.py). `SET LOCAL`: for this
    transaction only. Anything but PostgreSQL: nothing to do."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class Store:
    """What every store of the queue's database holds: its sessions, made from an engine or
    shared with the store that made it (`EditorialStore` makes its `Ledger` on its own), and
    the clock it stamps its rows with."""

    def __init__(self, bind: Engine | sessionmaker[Session], clock: Clock = system_clock) -> None:
        self._sessions = make_sessionmaker(bind) if isinstance(bind, Engine) else bind
        self._clock = clock
