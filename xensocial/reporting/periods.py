"""The stretch of time a report covers: a local calendar month or quarter, as UTC bounds.

Staff think in their own calendar ("the March report"), so `--month 2026-03` means March in the
configuration's time zone: from local midnight on 1 March to local midnight on 1 April. The
database stores UTC, so each period carries both its local days (for clips and activities, which
have a date and no time) and the UTC instants of its bounds (for posts, samples and slots). The
conversion goes through `zoneinfo`, so a month holding a daylight-saving change is exactly as long
as it is on the wall: March 2026 in Europe/Amsterdam is 31 days less one hour.

A period also knows the one before it and the same period a year earlier, which the report
compares against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from content_queue.limits import LAST_YEAR

from ..errors import UsageError

__all__ = [
    "Period",
    "add_months",
    "default_month",
    "default_quarter",
    "local_midnight",
    "parse_month",
    "parse_quarter",
]

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq](\d+)$")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_FIRST_YEAR = 1970  # no report of a time before the epoch
_LAST_YEAR = LAST_YEAR  # (content_queue.limits: the last year a date may fall in)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date, zone: str) -> datetime:
    """The UTC instant at which `day` begins in `zone`.

    In the rare zones whose daylight-saving change happens at midnight, a midnight that does not
    exist resolves (fold 0) to the instant the day actually begins."""
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Local days `first_day` up to (not including) `end_day` in `zone`, and their UTC bounds."""

    kind: str  # "month" or "quarter"
    label: str  # "2026-03" or "2026-Q1": what the command line takes
    name: str  # "March 2026" or "Q1 2026": what people read
    zone: str
    first_day: date
    end_day: date  # exclusive: the first day after the period
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive

    @classmethod
    def month(cls, year: int, month: int, zone: str) -> Period:
        first = date(year, month, 1)
        return cls._make(
            "month",
            f"{year:04d}-{month:02d}",
            f"{_MONTH_NAMES[month - 1]} {year}",
            zone,
            first,
            add_months(first, 1),
        )

    @classmethod
    def quarter(cls, year: int, quarter: int, zone: str) -> Period:
        first = date(year, 3 * (quarter - 1) + 1, 1)
        return cls._make(
            "quarter",
            f"{year:04d}-Q{quarter}",
            f"Q{quarter} {year}",
            zone,
            first,
            add_months(first, 3),
        )

    @classmethod
    def _make(cls, kind: str, label: str, name: str, zone: str, first: date, end: date) -> Period:
        return cls(
            kind,
            label,
            name,
            zone,
            first,
            end,
            local_midnight(first, zone),
            local_midnight(end, zone),
        )

    @property
    def months(self) -> int:
        return 1 if self.kind == "month" else 3

    @property
    def days(self) -> int:
        return (self.end_day - self.first_day).days

    def shifted(self, months: int) -> Period:
        """The period of the same kind starting `months` later (earlier when negative)."""
        first = add_months(self.first_day, months)
        if self.kind == "month":
            return Period.month(first.year, first.month, self.zone)
        return Period.quarter(first.year, (first.month - 1) // 3 + 1, self.zone)

    def previous(self) -> Period:
        return self.shifted(-self.months)

    def year_before(self) -> Period:
        return self.shifted(-12)


def _parse(
    text: str, pattern: re.Pattern[str], last: int, option: str, what: str, expected: str
) -> tuple[int, int]:
    """(year, n) from `text` matching `pattern`, with n from 1 to `last`; else a UsageError
    that says what was expected."""
    found = pattern.match(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= last:
        raise UsageError(f"{option}: {text!r} is not a {what}; expected {expected}")
    year = int(found.group(1))
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise UsageError(
            f"{option}: {text!r} has a year out of range ({_FIRST_YEAR} to {_LAST_YEAR}); "
            f"expected {expected}"
        )
    return year, int(found.group(2))


def parse_month(text: str, zone: str, *, option: str = "--month") -> Period:
    """`2026-03` (or `2026-3`) -> March 2026 in `zone`; anything else is a UsageError."""
    expected = "YYYY-MM with a month from 01 to 12, e.g. 2026-03 (March 2026)"
    return Period.month(*_parse(text, _MONTH, 12, option, "month", expected), zone)


def parse_quarter(text: str, zone: str, *, option: str = "--quarter") -> Period:
    """`2026-Q1` (or `2026Q1`, `2026-q1`) -> January to March 2026 in `zone`."""
    expected = "YYYY-Qn with n from 1 to 4, e.g. 2026-Q1 (January to March 2026)"
    return Period.quarter(*_parse(text, _QUARTER, 4, option, "quarter", expected), zone)


def default_month(now: datetime, zone: str) -> Period:
    """The last complete calendar month in `zone` at `now`: what a monthly report is for."""
    this_month = now.astimezone(ZoneInfo(zone)).date().replace(day=1)
    first = add_months(this_month, -1)
    return Period.month(first.year, first.month, zone)


def default_quarter(now: datetime, zone: str) -> Period:
    """The last complete calendar quarter in `zone` at `now`."""
    today = now.astimezone(ZoneInfo(zone)).date()
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    first = add_months(this_quarter, -3)
    return Period.quarter(first.year, (first.month - 1) // 3 + 1, zone)
