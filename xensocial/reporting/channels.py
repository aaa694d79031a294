"""Which channels a table has rows for, read one index seek per channel.

Every table the reports read is indexed by channel first (`deliveries(channel, published_at)`,
`follower_samples(channel, taken_at)`, `slot_claims(channel, slot_at)`), and the reports read one
period of it. Naming the channels (`channel IN (...)`) lets each of those indexes serve the
period's range for one channel after another, so a query reads the period's rows and not the
history kept; without a channel the same query reads every row ever written (SQLite scans the
table, PostgreSQL its heap).

The channels themselves are found the same way: `SELECT DISTINCT channel` would also read every
row of the index (neither SQLite nor PostgreSQL skips from one value to the next on its own), so
a recursive query asks for the first channel after the last one found, an index seek each: about
1,000 seeks for 1,000 channels, however many rows each has (2 ms on SQLite, 6 ms on PostgreSQL,
against 3 to 22 ms for DISTINCT over a year of data, growing with every year).

On PostgreSQL the names go as one array parameter (`channel = ANY(...)`), not one parameter
each: SQLAlchemy renders and psycopg parses every parameter of every query, which for 1,000
names cost 3 ms of CPU per query (0.7 ms as an array), with the same index scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ARRAY, CTE, ColumnElement, String, any_, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute

__all__ = ["ChannelList", "channel_values", "channels_with_rows"]


@dataclass(frozen=True)
class ChannelList:
    """Channel names for a query to name (`ChannelList.holds`), so an index can serve it."""

    names: tuple[str, ...]
    as_array: bool = False  # PostgreSQL: one array parameter, not one parameter per name

    @classmethod
    def on(cls, conn: Connection, names: Iterable[str]) -> ChannelList:
        """`names`, to name in queries on `conn`'s database."""
        return cls(tuple(names), as_array=conn.dialect.name == "postgresql")

    def holds(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """`column IN (names)`."""
        if self.as_array:
            return column == any_(literal(list(self.names), ARRAY(String)))
        return column.in_(self.names)

    def only(self, names: Iterable[str]) -> ChannelList:
        """Some of the names, for the same database."""
        return ChannelList(tuple(names), self.as_array)


def channel_values(column: InstrumentedAttribute[str]) -> CTE:
    """The distinct values of `column` (a table's indexed `channel`), as a CTE whose one column
    is `channel`; use it as a FROM, or `select(cte.c.channel)`."""
    found = select(func.min(column).label("channel")).cte("channels", recursive=True)
    following = select(func.min(column)).where(column > found.c.channel).scalar_subquery()
    return found.union_all(select(following).where(found.c.channel.is_not(None)))


def channels_with_rows(conn: Connection, column: InstrumentedAttribute[str]) -> ChannelList:
    """The channels `column`'s table has rows for."""
    values = channel_values(column)
    query = select(values.c.channel).where(values.c.channel.is_not(None))
    return ChannelList.on(conn, (channel for (channel,) in conn.execute(query)))
