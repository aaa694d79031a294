"""Read-only database engines for the exports: scrapes, feeds and CSV never hold a write lock.

The queue's own engine (`content_queue.db.make_engine`) starts every SQLite transaction with
`BEGIN IMMEDIATE`, the write lock, so that writers queue up instead of deadlocking. A reader
must not take it: a `/metrics` scrape every 15 s, or a CSV export streaming a year of samples,
would make the daemon's slots wait behind it. So the exports open SQLite read-only
(`mode=ro`, plain deferred transactions: under WAL a reader never blocks the writer), which
also means they can never create an empty database file where the real one has gone missing.
PostgreSQL readers take no such lock; they only get short connect and statement timeouts.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool, QueuePool

__all__ = ["read_only_engine"]


def read_only_engine(
    url: str,
    *,
    timeout: float = 30.0,
    statement_timeout: float | None = None,
    pooled: bool = True,
) -> Engine:
    """An engine that only reads `url`, waiting at most `timeout` seconds to connect (and, on
    SQLite, for a lock). `statement_timeout` bounds each PostgreSQL statement (a scrape must
    answer quickly; a long CSV export must not be cut, so it passes None). `pooled=False` opens
    a fresh connection for every use: what a health check needs, since a pooled SQLite
    connection keeps reading a file that was removed."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"poolclass": QueuePool if pooled else NullPool}
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": max(1, round(timeout))},
            **kwargs,
        )
        if statement_timeout is not None:
            _limit_statements(engine, statement_timeout)
        return engine
    database = parsed.database or ""
    if database in ("", ":memory:"):
        raise ValueError("an in-memory SQLite database cannot be read by another connection")
    # A file: URI, so mode=ro applies; as_uri() escapes the characters a URI would misread.
    uri = Path(database).expanduser().absolute().as_uri() + "?mode=ro"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

    return create_engine("sqlite://", creator=connect, **kwargs)


def _limit_statements(engine: Engine, seconds: float) -> None:
    # Set per connection, not through connect_args: the URL's own `options` (a search_path,
    # say) would be replaced by ours.
    milliseconds = max(1, round(seconds * 1000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {milliseconds}")
        dbapi_connection.commit()
