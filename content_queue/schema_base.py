"""The declarative base every table of the queue is mapped on, and its UTC timestamp type.

Its own module so that the tables may live in more than one module (`schema`, and
`notice_schema` for alerting's) on one metadata, which Alembic and the schema test compare
against the migrations, without a module importing the one that imports it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import DateTime, TypeDecorator

from .timeutil import as_utc

__all__ = ["Base", "UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """UTC timestamps that survive a round trip through SQLite and PostgreSQL alike.

    SQLite has no time-zone-aware type, so the column stores naive UTC and this type converts
    at the boundary: Python code only ever sees aware UTC datetimes, and comparing a stored
    value with `now()` can never mix naive and aware values."""

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


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}
