"""`xensocial queue add` without SQLAlchemy: one item, its deliveries and its audit entry, in one
transaction, through the database's DB-API driver (sqlite3 or psycopg, see `dbapi`).

Why: `queue add` must answer in under 300 ms with 1,000 channels and 1,000,000 items, and
importing SQLAlchemy and the ORM models alone costs 150 to 300 ms on a small machine. Adding an
item is three plain statements and a duplicate check.

It is `ContentQueue.add` and `ContentQueue.find_duplicate` again, not a variant: the checks and
the rows come from `newitems`, which `ContentQueue` uses too; the duplicate lookups are the same
statements (`duplicates`: a live item's URL, or a URL ever posted); the transaction is
the same (SQLite `BEGIN IMMEDIATE`, PostgreSQL READ COMMITTED), and the audit entry is written
in it, as `audit.record` writes it. tests/storage/queue/test_fastwrite.py adds the same random items
both ways into two databases and compares every table, on both backends. Like `fastread`, it
is used only on a database at the scripts' head revision (`writer_for`); anything else goes the
ORM way, which migrates it or says why it cannot.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from .dbapi import PlainDatabase, Transaction, at_revision
from .duplicates import duplicate_id
from .fastread import ITEM_COLUMNS, item_views
from .limits import MAX_ACTOR, MAX_DETAIL
from .newitems import check_new_item, check_times_to_come, evergreen_set, item_rows
from .timeutil import Clock, system_clock
from .urls import canonical_url
from .views import ItemView, NewItem

__all__ = ["FastWriter", "writer_for"]


def writer_for(
    database_url: str,
    head: str | None,
    *,
    clock: Clock = system_clock,
    evergreen_categories: Collection[str] = (),
) -> FastWriter | None:
    """A `FastWriter` when `database_url` is a database this path writes (an existing SQLite
    file, or PostgreSQL through psycopg) whose schema is at revision `head`; None when the
    caller should use `ContentQueue` instead (see `dbapi.at_revision`)."""
    db = at_revision(database_url, head, writable=True)
    if db is None:
        return None
    return FastWriter(db, clock=clock, evergreen_categories=evergreen_categories)


class FastWriter:
    """Adds items as `ContentQueue.add` does, without SQLAlchemy (see the module docstring)."""

    def __init__(
        self,
        db: PlainDatabase,
        *,
        clock: Clock = system_clock,
        evergreen_categories: Collection[str] = (),
    ) -> None:
        self.db = db
        self._clock = clock
        self._evergreen_categories = evergreen_set(evergreen_categories)

    def find_duplicate(self, url: str) -> ItemView | None:
        """As `ContentQueue.find_duplicate`."""
        with self.db.reading() as tx:
            return self._duplicate_of(tx, canonical_url(url))

    def add(self, new: NewItem, *, allow_duplicate: bool = False) -> ItemView:
        """As `ContentQueue.add`: one item with a pending delivery per target channel, and its
        audit entry, in one transaction. Raises InvalidItem for a bad field and DuplicateItem
        when the URL is already queued or published (unless `allow_duplicate`)."""
        check_new_item(new)
        check_times_to_come(new, self._clock())
        with self.db.writing() as tx:
            now = self._clock()
            rows = item_rows(
                new,
                None if allow_duplicate else partial(self._duplicate_of, tx),
                now=now,
                evergreen_categories=self._evergreen_categories,
            )
            item_id = self._insert(tx, "items", rows.item, returning="id")
            deliveries = [{"item_id": item_id, **d} for d in rows.deliveries]
            columns = list(deliveries[0])
            tx.run_many(
                f"INSERT INTO deliveries ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [[self._stored(d[c]) for c in columns] for d in deliveries],
            )
            for image in rows.images:
                self._insert(tx, "item_images", {"item_id": item_id, **image})
            entry = {
                "at": now,
                "actor": (new.created_by or "unknown")[:MAX_ACTOR],
                "action": "add",
                "item_id": item_id,
                "channel": None,
                "detail": rows.detail[:MAX_DETAIL],
            }
            self._insert(tx, "audit_log", entry)
            row = tx.row(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
            assert row is not None  # inserted just above, in this transaction
            return item_views(tx, [row])[0]

    def hold(self) -> None:
        """Keep what `add` writes uncommitted until `commit` (`PlainDatabase.hold`)."""
        self.db.hold()

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def _duplicate_of(self, tx: Transaction, canon: str) -> ItemView | None:
        def first(sql: str, canonical: str) -> int | None:
            row = tx.row(sql, (canonical,))
            return None if row is None else int(row[0])

        item_id = duplicate_id(first, canon)
        if item_id is None:
            return None
        found = tx.row(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
        assert found is not None  # read in this same transaction
        return item_views(tx, [found])[0]

    def _insert(
        self, tx: Transaction, table: str, row: Mapping[str, Any], *, returning: str = ""
    ) -> Any:
        """Insert `row` into `table`; the value of column `returning`, if one is named."""
        columns = list(row)
        statement = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        )
        values = [self._stored(row[c]) for c in columns]
        if not returning:
            tx.run(statement, values)
            return None
        found = tx.row(f"{statement} RETURNING {returning}", values)
        assert found is not None
        return found[0]

    def _stored(self, value: Any) -> Any:
        """A row value as the driver must be given it (times and JSON as SQLAlchemy stores them)."""
        if isinstance(value, datetime):
            return self.db.time_value(value)
        if isinstance(value, list):
            return self.db.json_value(value)
        return value
