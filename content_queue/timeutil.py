"""UTC timestamps that survive a round trip through SQLite and PostgreSQL alike.

SQLite has no time-zone-aware type, so the column stores naive UTC and this type converts at the
boundary: Python code only ever sees aware UTC datetimes, and comparing a stored value with
`now()` can never mix naive and aware values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator

__all__ = ["Clock", "UTCDateTime", "as_utc", "system_clock"]

Clock = Callable[[], datetime]
"""A source of the current time (aware, UTC). Tests pass their own to move time."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)
