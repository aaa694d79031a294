"""The queue's read path without SQLAlchemy: `queue list` and `queue show`, on SQLite (sqlite3) and
PostgreSQL (psycopg).

Why it exists: importing SQLAlchemy's ORM costs about 300 ms on a small machine, more than the
whole budget of `xensocial queue list` (300 ms wall with 1,000,000 items queued). Reading needs
none of it. `FastReader` answers the two read questions of the staff API,
`ContentQueue.list_items` and `ContentQueue.get`, with the same filters, the same order and the
same frozen `ItemView`s; tests/storage/queue/test_fastread.py compares both on random data, on both
backends, so the two cannot drift apart unnoticed. What differs between the drivers (marks,
transactions, how timestamps and JSON come back) is `dbapi`'s.

It only reads, in one read transaction per call, so a listing is one consistent snapshot even
while the daemon writes (SQLite: a `mode=ro` connection, which refuses any write; PostgreSQL: a
REPEATABLE READ, READ ONLY transaction). It knows the table layout of the current schema only,
so callers use it only when the database's revision is the scripts' head (`reader_for`); an
old, empty or missing database goes the ORM way, which also upgrades it or says why it cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .dbapi import PlainDatabase, SqliteDatabase, Transaction, at_revision, read_json
from .dbapi import read_time as _at
from .dbapi import sqlite_file as sqlite_file
from .errors import InvalidItem, ItemNotFound
from .views import DeliveryView, ItemImage, ItemView, PartView, Thread, posted_of
from .vocabulary import DELIVERY_STATES, ITEM_STATES, state_problem

__all__ = [
    "ITEM_COLUMNS",
    "FastReader",
    "item_views",
    "reader_for",
    "sqlite_file",
]

_CHUNK = 500  # ids per IN (...) when loading deliveries: far below either database's limit
ITEM_COLUMNS = (
    "id, url, canonical_url, title, text, category, tags, source, priority, not_before, "
    "expires_at, state, created_at, created_by, updated_at, evergreen, alt_text, publish_at, "
    "event_at, recycled_from, reminder_of, link_in_reply"
)
_DELIVERY_COLUMNS = (
    "id, item_id, channel, state, idempotency_key, attempts, last_error, remote_id, "
    "remote_url, published_at, owner, text_override, posted_title, posted_text, posted_url, "
    "posted_tags, posted_media"
)


def reader_for(database_url: str, head: str | None) -> FastReader | None:
    """A `FastReader` when `database_url` is a database this path reads (an existing SQLite
    file, or PostgreSQL through psycopg) whose schema is at revision `head`; None when the
    caller should use `ContentQueue` instead (see `dbapi.at_revision`)."""
    db = at_revision(database_url, head, writable=False)
    return None if db is None else FastReader(db)


def _when(value: Any) -> datetime | None:
    return None if value is None else _at(value)


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
        text_override=row[11],
        posted=posted_of(row[12], row[13], row[14], read_json(row[15]), read_json(row[16])),
    )


_IMAGE_COLUMNS = "item_id, position, sha256, mime, width, height, bytes, alt, decorative"


def _image(row: Sequence[Any]) -> ItemImage:
    """A row of `_IMAGE_COLUMNS` as a view (SHA-256 to alt text in the view's field order)."""
    sha256, mime, width, height, size, alt, decorative = row[2:9]
    return ItemImage(sha256, mime, width, height, size, alt, bool(decorative))


def _item(
    row: Sequence[Any], deliveries: Sequence[DeliveryView], images: Sequence[ItemImage] = ()
) -> ItemView:
    return ItemView(
        id=row[0],
        url=row[1],
        canonical_url=row[2],
        title=row[3],
        text=row[4],
        category=row[5],
        tags=tuple(read_json(row[6]) or ()),
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
        images=tuple(images),
        link_in_reply=bool(row[21]),
    )


def item_views(tx: Transaction, rows: Sequence[Sequence[Any]]) -> list[ItemView]:
    """`rows` (of `ITEM_COLUMNS`) as views, with their deliveries read in the same transaction."""
    found: dict[int, list[DeliveryView]] = {row[0]: [] for row in rows}
    images: dict[int, list[ItemImage]] = {row[0]: [] for row in rows}
    ids = list(found)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for d in tx.rows(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE item_id IN ({marks})", chunk
        ):
            found[d[1]].append(_delivery(d))
        for i in tx.rows(
            f"SELECT {_IMAGE_COLUMNS} FROM item_images WHERE item_id IN ({marks}) "
            "ORDER BY item_id, position",
            chunk,
        ):
            images[i[0]].append(_image(i))
    return [_item(row, found[row[0]], images[row[0]]) for row in rows]


class FastReader:
    """Read-only access to the queue's database, without SQLAlchemy (see the module docstring).

    Given a path, it reads that SQLite file."""

    def __init__(self, database: PlainDatabase | str | Path) -> None:
        self.db = database if isinstance(database, PlainDatabase) else SqliteDatabase(database)

    @property
    def path(self) -> Path | None:
        """The SQLite file read, None for PostgreSQL."""
        return self.db.path if isinstance(self.db, SqliteDatabase) else None

    def revision(self) -> str | None:
        """The Alembic revision the database is at; None when it was never migrated.

        Raises the driver's error when the database cannot be opened or is not one."""
        return self.db.revision()

    def get(self, item_id: int) -> ItemView:
        """As `ContentQueue.get`: the item with its deliveries; raises ItemNotFound."""
        with self.db.reading() as tx:
            row = tx.row(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
            if row is None:
                raise ItemNotFound(item_id)
            return item_views(tx, [row])[0]

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
        problem = None if state is None else state_problem(state)
        if problem is not None:
            raise InvalidItem("state", problem)
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
        sql = f"SELECT {ITEM_COLUMNS} FROM items"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY items.id {'DESC' if newest_first else 'ASC'} LIMIT ? OFFSET ?"
        params += [limit, offset]
        with self.db.reading() as tx:
            return item_views(tx, tx.rows(sql, params))

    def item_thread(self, item_id: int) -> Thread:
        """As `ContentQueue.item_thread`: the item's replies and its deliveries' parts."""
        with self.db.reading() as tx:
            replies = tx.rows(
                "SELECT text FROM item_replies WHERE item_id = ? ORDER BY position", (item_id,)
            )
            parts = tx.rows(
                "SELECT p.delivery_id, p.position, p.state, p.remote_id, p.remote_url, "
                "p.remote_ref, p.attempted_at, p.published_at, p.detail "
                "FROM delivery_parts p JOIN deliveries d ON d.id = p.delivery_id "
                "WHERE d.item_id = ? ORDER BY p.delivery_id, p.position",
                (item_id,),
            )
        return Thread(
            tuple(r[0] for r in replies),
            tuple(
                PartView(p[0], p[1], p[2], p[3], p[4], p[5], _when(p[6]), _when(p[7]), p[8])
                for p in parts
            ),
        )

    def close(self) -> None:
        self.db.close()
