"""Plain DB-API access to the queue's database, SQLite (sqlite3) or PostgreSQL (psycopg), without
SQLAlchemy: what the CLI's read path (`fastread`) and its `queue add` path (`fastwrite`) share.

Why: importing SQLAlchemy and the ORM models costs 150 to 300 ms on a small machine, the whole
budget of `xensocial queue list` and `queue add` (300 ms wall), while those commands need a
handful of plain statements that the drivers answer alone. Everything that differs between
the two drivers is here, and only here:

- a URL becomes a connection: a plain SQLite file URL (`sqlite[+driver]:///path`, no options),
  or a `postgresql+psycopg://` URL, whose parts become psycopg's connection keywords exactly as
  SQLAlchemy's psycopg dialect makes them (tests/storage/queue/test_dbapi.py compares both). Any other
  URL gives None, and the caller takes the ORM way;
- parameter marks: statements are written with `?` (sqlite3's qmark style), and psycopg gets
  them as `%s` (so no statement may hold a literal `?` or `%`);
- transactions: SQLite is set up as `content_queue.db` sets it up (`SQLITE_SETUP`, which both
  run: WAL, a busy timeout, foreign keys; `BEGIN IMMEDIATE` to write; a `mode=ro` connection
  to read, which refuses any write). PostgreSQL reads in one REPEATABLE READ, READ ONLY
  transaction (one snapshot, like SQLite's read transaction) and writes in READ COMMITTED,
  SQLAlchemy's default;
- values: timestamps are written as `schema.UTCDateTime` and SQLAlchemy write them (naive UTC;
  on SQLite the text `YYYY-MM-DD HH:MM:SS.ffffff`) and read back as aware UTC datetimes (sqlite3
  returns that text, psycopg naive datetimes); JSON is written as `json.dumps` text, as
  SQLAlchemy's JSON type writes it, and read back whether the driver parsed it (psycopg) or not.
"""

from __future__ import annotations

import json
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote

from .timeutil import as_utc

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_SETUP",
    "PlainDatabase",
    "at_revision",
    "PostgresDatabase",
    "SqliteDatabase",
    "Transaction",
    "plain_database",
    "psycopg_arguments",
    "psycopg_url",
    "read_json",
    "read_time",
    "sqlite_file",
]

SQLITE_BUSY_TIMEOUT_MS = 30_000  # a writer waits for another to finish, instead of failing
SQLITE_SETUP = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
"""What every SQLite connection that writes runs first, here and in `db` (the ORM's engine)."""
_SQLITE_FILE_URL = re.compile(r"sqlite(?:\+\w+)?:///(?P<path>[^?]+)")
# SQLAlchemy's URL grammar (sqlalchemy.engine.url._parse_url), for the psycopg driver only.
_PSYCOPG_URL = re.compile(
    r"postgresql\+psycopg://"
    r"(?:(?P<user>[^:/]*)(?::(?P<password>[^@]*))?@)?"
    r"(?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?"
    r"(?:/(?P<database>[^?]*))?"
    r"(?:\?(?P<query>.*))?"
)


@dataclass(frozen=True)
class _PsycopgUrl:
    """A `postgresql+psycopg://` URL's parts, unquoted, as SQLAlchemy's `make_url` reads them."""

    user: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str | None
    options: tuple[tuple[str, str], ...]


def _psycopg_url(database_url: str) -> _PsycopgUrl | None:
    # As make_url: the first match from the start (not the longest); but a URL it reads only
    # in part (it ignores the rest: a newline, a stray "#") is left to it.
    m = _PSYCOPG_URL.match(database_url)
    if m is None or m.end() != len(database_url):
        return None
    port = m.group("port")
    if port is not None and not port.isdigit():
        return None  # (SQLAlchemy refuses "host:" and a port that is not a number)
    options = tuple(parse_qsl(m.group("query") or ""))  # as make_url: blank values dropped
    names = [name for name, _ in options]
    if len(set(names)) != len(names) or {"host", "port"} & set(names):
        return None  # SQLAlchemy's multi-host forms: not worth a second reading of them

    def part(name: str) -> str | None:
        value = m.group(name)
        return None if value is None else unquote(value)

    return _PsycopgUrl(
        user=part("user"),
        password=part("password"),
        host=m.group("ipv6host") or m.group("host"),
        port=None if port is None else int(port),
        database=part("database"),
        options=options,
    )


def sqlite_file(database_url: str) -> Path | None:
    """The file a plain SQLite URL (`sqlite[+driver]:///path`, no options) names, else None.

    None also for an in-memory database and for a URL with a query string (its options, such
    as `uri=true`, are SQLAlchemy's to interpret)."""
    m = _SQLITE_FILE_URL.fullmatch(database_url)
    if m is None:
        return None
    path = unquote(m.group("path"))
    if path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).expanduser()


def psycopg_arguments(database_url: str) -> dict[str, Any] | None:
    """The keywords SQLAlchemy's psycopg dialect would give `psycopg.connect` for
    `database_url`, or None when it is not a `postgresql+psycopg://` URL this module reads as
    SQLAlchemy does (several hosts or ports, a repeated option: those go the ORM way)."""
    url = _psycopg_url(database_url)
    if url is None:
        return None
    out: dict[str, Any] = {}
    # As URL.translate_connect_args: a part left empty is not passed at all.
    for name, value in (
        ("host", url.host),
        ("dbname", url.database),
        ("user", url.user),
        ("password", url.password),
        ("port", url.port),
    ):
        if value:
            out[name] = value
    out.update(url.options)
    return out


def psycopg_url(database_url: str) -> tuple[str, str | None] | None:
    """`database_url` as SQLAlchemy's `make_url(...).render_as_string(hide_password=False)`
    renders it, and its password; None for a URL `psycopg_arguments` does not read.

    For the configuration, which checks and normalises `database_url` once at start: with it,
    a PostgreSQL URL needs no SQLAlchemy import either (tests/storage/queue/test_dbapi.py compares
    both on many URLs)."""
    url = _psycopg_url(database_url)
    if url is None:
        return None
    out = "postgresql+psycopg://"
    if url.user is not None:
        out += quote(url.user, safe=" +")
        if url.password is not None:
            out += ":" + quote(url.password, safe=" +")
        out += "@"
    if url.host is not None:
        out += f"[{url.host}]" if ":" in url.host else url.host
    if url.port is not None:
        out += f":{url.port}"
    if url.database is not None:
        out += "/" + quote(url.database, safe=" +/")
    if url.options:
        out += "?" + "&".join(
            f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(url.options, key=lambda o: o[0])
        )
    return out, url.password


def read_time(value: Any) -> datetime:
    """A stored timestamp (naive UTC: text from sqlite3, a datetime from psycopg) as aware UTC."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(at, datetime), value
    return as_utc(at)


def read_json(value: Any) -> Any:
    """A stored JSON value: text from sqlite3, already parsed by psycopg."""
    return json.loads(value) if isinstance(value, str | bytes) else value


class Transaction:
    """The statements of one transaction, written with `?` marks whatever the driver."""

    def __init__(self, cursor: Any, *, pyformat: bool) -> None:
        self._cursor = cursor
        self._pyformat = pyformat

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._pyformat else statement

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(statement), params)
        return list(self._cursor.fetchall())

    def row(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self._cursor.execute(self._sql(statement), params)
        found = self._cursor.fetchone()
        return None if found is None else tuple(found)

    def run(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(self._sql(statement), params)

    def run_many(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(self._sql(statement), list(rows))


class PlainDatabase(ABC):
    """One queue database reached through its DB-API driver (see the module docstring).

    It holds at most one connection, in autocommit mode (each transaction is begun and ended
    by its own statements, the same way on both drivers), opened on first use and kept until
    `close`, so the schema check and the command's own statements share it (a PostgreSQL
    connection costs a round trip or three)."""

    backend: str
    pyformat: bool  # the driver's parameter marks: %s (psycopg), else ? (sqlite3)
    version_table: str  # a query giving a row when the database has `alembic_version`
    _conn: Any = None

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        """One read-only transaction: one consistent snapshot, nothing ever written."""
        with self._transaction(write=False) as tx:
            yield tx

    _held: tuple[Any, Transaction] | None = None  # (cursor, transaction) while `hold` keeps one
    _holding = False

    @contextmanager
    def writing(self) -> Iterator[Transaction]:
        """One write transaction, committed when the block ends, rolled back if it raises;
        after `hold`, the one transaction every `writing` block shares until `commit`."""
        if not self._holding:
            with self._transaction(write=True) as tx:
                yield tx
            return
        if self._held is None:
            if self._conn is None:
                self._conn = self._connect()
            cursor = self._conn.cursor()
            cursor.execute(self._begin(write=True))
            self._held = cursor, Transaction(cursor, pyformat=self.pyformat)
        yield self._held[1]

    def hold(self) -> None:
        """Keep what `writing` blocks write in one transaction, committed only by `commit` and
        rolled back by `close`: the CLI commits a command's writes once it succeeded."""
        self._holding = True

    def commit(self) -> None:
        """Commit the held transaction, if one is open. A COMMIT the database refuses (a
        deferred constraint) leaves SQLite's transaction open: the connection is then closed,
        which rolls it back."""
        held, self._held = self._held, None
        if held is None:
            return
        cursor, _ = held
        try:
            cursor.execute("COMMIT")
        except BaseException:
            self._drop()
            raise
        finally:
            cursor.close()

    def revision(self) -> str | None:
        """The Alembic revision the database is at; None when it was never migrated.

        Raises the driver's error when the database cannot be reached or read."""
        with self.reading() as tx:
            if tx.row(self.version_table) is None:
                return None
            found = tx.row("SELECT version_num FROM alembic_version")
            return None if found is None else str(found[0])

    def json_value(self, value: Any) -> str:
        """`value` as SQLAlchemy's JSON type stores it (`json.dumps` with its defaults)."""
        return json.dumps(value)

    def close(self) -> None:
        """Close the connection, if one is open (rolling back a held transaction)."""
        held, self._held = self._held, None
        if held is not None:
            with suppress(Exception):  # a lost connection: closing it is all there is to do
                held[0].execute("ROLLBACK")
                held[0].close()
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with suppress(Exception):
                self._conn.close()
            self._conn = None

    @abstractmethod
    def time_value(self, at: datetime) -> Any:
        """`at` as the driver must be given it to store it as `UTCDateTime` does (a naive value
        is taken to be UTC already, as there)."""

    @abstractmethod
    def _connect(self) -> Any:
        """A new DB-API connection in autocommit mode."""

    @abstractmethod
    def _begin(self, *, write: bool) -> str:
        """The statement that begins a reading or a writing transaction."""

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Transaction]:
        if self._conn is None:
            self._conn = self._connect()
        cursor = self._conn.cursor()
        try:
            cursor.execute(self._begin(write=write))
            try:
                yield Transaction(cursor, pyformat=self.pyformat)
            except BaseException:
                with suppress(Exception):  # a lost connection: the first error says why
                    cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT" if write else "ROLLBACK")
        finally:
            cursor.close()


class SqliteDatabase(PlainDatabase):
    """A SQLite file through the standard library's sqlite3."""

    backend = "sqlite"
    pyformat = False
    version_table = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"

    def __init__(self, path: str | Path, *, writable: bool = False) -> None:
        self.path = Path(path)
        self.writable = writable

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: never create a file (the ORM way creates and migrates a new one).
        uri = f"file:{quote(str(self.path))}?mode={'rw' if self.writable else 'ro'}"
        timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
        if self.writable:  # as content_queue.db configures every connection it opens
            for pragma in SQLITE_SETUP:
                conn.execute(pragma)
        return conn

    def _begin(self, *, write: bool) -> str:
        if write and not self.writable:
            raise sqlite3.OperationalError("this connection is read-only")
        # IMMEDIATE takes the write lock at once: two writers queue instead of deadlocking.
        return "BEGIN IMMEDIATE" if write else "BEGIN"

    def time_value(self, at: datetime) -> str:
        # SQLAlchemy's SQLite DATETIME storage format, always with the microseconds (not
        # strftime: its %Y does not pad a year below 1000 to four digits).
        d = as_utc(at)
        return (
            f"{d.year:04d}-{d.month:02d}-{d.day:02d} "
            f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{d.microsecond:06d}"
        )


class PostgresDatabase(PlainDatabase):
    """A PostgreSQL database through psycopg (3), imported on first connection."""

    backend = "postgresql"
    pyformat = True
    # As SQLAlchemy's has_table: in the connection's default schema (its search path).
    version_table = (
        "SELECT 1 FROM pg_catalog.pg_tables "
        "WHERE schemaname = current_schema() AND tablename = 'alembic_version'"
    )

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.arguments = arguments

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(**self.arguments, autocommit=True)

    def _begin(self, *, write: bool) -> str:
        if write:  # SQLAlchemy's default, what the ORM path writes in
            return "BEGIN ISOLATION LEVEL READ COMMITTED"
        return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def time_value(self, at: datetime) -> datetime:
        # Naive: an aware value would be sent as timestamptz and shifted to the session's zone.
        return as_utc(at).replace(tzinfo=None)


def at_revision(database_url: str, head: str | None, *, writable: bool) -> PlainDatabase | None:
    """The database `database_url` names (as `plain_database`) when its schema is at revision
    `head`; None when the caller should take the ORM way instead: another URL, no file yet, an
    older or newer schema, or a database that cannot be opened (the ORM way then says why, in
    its own words)."""
    if head is None:
        return None
    db = plain_database(database_url, writable=writable)
    if db is None:
        return None
    try:
        at = db.revision()
    except Exception:  # any driver's failure to open or read: the ORM way reports it
        db.close()
        return None
    if at != head:
        db.close()
        return None
    return db


def plain_database(database_url: str, *, writable: bool = False) -> PlainDatabase | None:
    """The database `database_url` names, reached through its driver, or None when the URL is
    not one this module reads (see `sqlite_file` and `psycopg_arguments`), or names a SQLite
    file that does not exist yet (the ORM way creates and migrates it)."""
    path = sqlite_file(database_url)
    if path is not None:
        return SqliteDatabase(path, writable=writable) if path.is_file() else None
    arguments = psycopg_arguments(database_url)
    return None if arguments is None else PostgresDatabase(arguments)
