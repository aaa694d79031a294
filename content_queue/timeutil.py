"""Time for the queue: the injectable clock, and aware UTC as the one kind of datetime.

Callers pass a `Clock` so tests move time instead of sleeping. Stored values are always UTC: the
column type that converts at the database boundary is `schema.UTCDateTime`. Nothing here imports
SQLAlchemy, so light code (the adapters' base class, the CLI's read path) can use the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "as_utc", "system_clock"]

Clock = Callable[[], datetime]
"""A source of the current time (aware, UTC). Tests pass their own to move time."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
