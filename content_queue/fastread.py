"""The queue's read path for SQLite with the standard library only: `queue list` and `queue show`.

Why it exists: importing SQLAlchemy's ORM costs about 300 ms on a small machine, more than the
whole budget of `xensocial queue list` (300 ms wall with 100,000 items queued). Reading a SQLite
file needs none of it. `FastReader` answers the two read questions of the staff API,
`ContentQueue.list_items` and `ContentQueue.get`, with the same filters, the same order and the
same frozen `ItemView`s; tests/queue/test_fastread.py compares both on random data, so the two
cannot drift apart unnoticed.

It only reads: the connection is opened with `mode=ro` (SQLite refuses any write) and a busy
timeout, in one read transaction per call, so a listing is one consistent snapshot even while
the daemon writes (WAL). It knows the table layout of the current schema only, so callers use
it only when the database's revision is the scripts' head (`reader_for`); an old, empty or
missing database goes the ORM way, which also upgrades it or says why it cannot.
PostgreSQL always goes the ORM way.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from .errors import InvalidItem, ItemNotFound
from .views import DeliveryView, ItemView

__all__ = [
    "DELIVERY_STATES",
    "ITEM_STATES",
    "FastReader",
    "reader_for",
    "sqlite_file",
]

# The values of schema.ItemState and schema.DeliveryState, repeated here because schema imports
# SQLAlchemy; a test checks they are equal.
ITEM_STATES = frozenset({"draft", "approved", "cancelled"})
DELIVERY_STATES = frozenset({"pending", "publishing", "published", "failed", "unknown"})

_BUSY_TIMEOUT_S = 30.0  # as content_queue.db: wait for a writer rather than fail
_CHUNK = 500  # ids per IN (...) when loading deliveries: far below SQLite's variable limit
_SQLITE_FILE_URL = re.compile(r"sqlite(?:\+\w+)?:///(?P<path>[^?]+)")
_ITEM_COLUMNS = (
    "id, url, canonical_url, title, text, category, tags, source, priority, not_before, "
    "expires_at, state, created_at, created_by, updated_at, evergreen, alt_text, publish_at, "
    "event_at, recycled_from, reminder_of"
)
_DELIVERY_COLUMNS = (
    "id, item_id, channel, state, idempotency_key, attempts, last_error, remote_id, "
    "remote_url, published_at, owner"
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


def reader_for(database_url: str, head: str | None) -> FastReader | None:
    """A `FastReader` when `database_url` is an existing SQLite file whose schema is at revision
    `head`; None when the caller should use `ContentQueue` instead (another backend, no file
    yet, an older or newer schema, or a file SQLite cannot open)."""
    path = sqlite_file(database_url)
    if path is None or head is None or not path.is_file():
        return None
    reader = FastReader(path)
    try:
        at = reader.revision()
    except sqlite3.Error:
        return None
    return reader if at == head else None


def _at(value: str) -> datetime:
    # SQLAlchemy stores UTC as naive "YYYY-MM-DD HH:MM:SS.ffffff" text (see schema.UTCDateTime).
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _when(value: str | None) -> datetime | None:
    return None if value is None else _at(value)


def _tags(value: Any) -> tuple[str, ...]:
    loaded = json.loads(value) if value is not None else None
    return tuple(loaded or ())


def _delivery(row: Sequence[Any]) -> DeliveryView:
    return DeliveryView(
        id=row[0],
        item_id=row[1],
        channel=row[2],
        state=row[3],
        idempotency_key=row[4],
        attempts=row[5],
        last_error=row[6],
        remote_id=row[7],
        remote_url=row[8],
        published_at=_when(row[9]),
        owner=row[10],
    )


def _item(row: Sequence[Any], deliveries: Sequence[DeliveryView]) -> ItemView:
    return ItemView(
        id=row[0],
        url=row[1],
        canonical_url=row[2],
        title=row[3],
        text=row[4],
        category=row[5],
        tags=_tags(row[6]),
        source=row[7],
        priority=row[8],
        not_before=_when(row[9]),
        expires_at=_when(row[10]),
        state=row[11],
        created_at=_at(row[12]),
        created_by=row[13],
        updated_at=_at(row[14]),
        deliveries=tuple(sorted(deliveries, key=lambda d: d.channel)),  # as ItemView.of
        evergreen=bool(row[15]),
        alt_text=row[16],
        publish_at=_when(row[17]),
        event_at=_when(row[18]),
        recycled_from=row[19],
        reminder_of=row[20],
    )


class FastReader:
    """Read-only access to one SQLite queue file, without SQLAlchemy (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read-only connection, in one read transaction (one snapshot), closed after."""
        uri = f"file:{quote(str(self.path))}?mode=ro"
        with closing(
            sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        ) as conn:
            conn.execute("BEGIN")  # closing the connection ends it; nothing is ever written
            yield conn

    def revision(self) -> str | None:
        """The Alembic revision the file is at; None when it was never migrated.

        Raises sqlite3.Error when the file cannot be opened or is not a database."""
        with self._reading() as conn:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            if exists is None:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            return None if row is None else str(row[0])

    def get(self, item_id: int) -> ItemView:
        """As `ContentQueue.get`: the item with its deliveries; raises ItemNotFound."""
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)
            ).fetchone()
            if row is None:
                raise ItemNotFound(item_id)
            return self._with_deliveries(conn, [row])[0]

    def list_items(
        self,
        *,
        state: str | None = None,
        channel: str | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[ItemView]:
        """As `ContentQueue.list_items` (same arguments, same filters, same order, same error)."""
        if state is not None and state not in ITEM_STATES | DELIVERY_STATES:
            known = ", ".join(sorted(ITEM_STATES | DELIVERY_STATES))
            raise InvalidItem("state", f"{state!r} is not one of {known}")
        where: list[str] = []
        params: list[Any] = []
        if state in ITEM_STATES:
            where.append("items.state = ?")
            params.append(state)
        if state in DELIVERY_STATES or channel is not None:
            cond = ["deliveries.item_id = items.id"]
            if channel is not None:
                cond.append("deliveries.channel = ?")
                params.append(channel)
            if state in DELIVERY_STATES:
                cond.append("deliveries.state = ?")
                params.append(state)
            where.append(f"EXISTS (SELECT 1 FROM deliveries WHERE {' AND '.join(cond)})")
        sql = f"SELECT {_ITEM_COLUMNS} FROM items"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY items.id {'DESC' if newest_first else 'ASC'} LIMIT ? OFFSET ?"
        params += [limit, offset]
        with self._reading() as conn:
            return self._with_deliveries(conn, conn.execute(sql, params).fetchall())

    def _with_deliveries(
        self, conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]
    ) -> list[ItemView]:
        found: dict[int, list[DeliveryView]] = {row[0]: [] for row in rows}
        ids = list(found)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for d in conn.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE item_id IN ({marks})", chunk
            ):
                found[d[1]].append(_delivery(d))
        return [_item(row, found[row[0]]) for row in rows]
