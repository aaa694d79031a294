"""Dates and times as staff type them on the command line, turned into aware UTC instants.

Staff think in their own zone ("post this from 1 December, 09:30"), so a date or time without
an offset is read in the configuration's `timezone`; an ISO 8601 value with an offset means
exactly that instant; "+2h" / "+3d" count from now. Everything else is refused with the list
of accepted forms, so a typo never schedules an item at a surprising time.

Every instant a parser here returns is in the years 1 to 9998 (`in_range`, the one check every
date and duration typed on the command line or in the configuration goes through): a date in
year 9999 is valid to Python but overflows once shown in a zone east of UTC, after it was stored,
and a duration of a billion days overflows the arithmetic. Both are bad input (exit 2), refused
before anything is written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from content_queue.limits import FIRST_YEAR, LAST_YEAR, year_problem

from .durations import parse_duration
from .errors import UsageError

__all__ = ["ACCEPTED_FORMS", "ago", "in_range", "local_time", "parse_when"]

ACCEPTED_FORMS = (
    "2026-12-01 (midnight), 2026-12-01 09:30 or 2026-12-01T09:30 (in {zone}), "
    "2026-12-01T09:30+01:00 or ...Z (ISO 8601 with an offset), +2h or +3d (from now)"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def parse_when(text: str, *, zone: str, now: datetime, option: str = "date") -> datetime:
    """The instant `text` names (aware, UTC). Raises UsageError showing the accepted forms."""
    value = text.strip()

    def bad(why: str = "") -> UsageError:
        reason = f" ({why})" if why else ""
        return UsageError(
            f"{option}: {text!r} is not a date/time{reason}; accepted: {ACCEPTED_FORMS.format(zone=zone)}"
        )

    try:
        return in_range(_instant(value, ZoneInfo(zone), now))
    except OverflowError:  # a valid form, but before year 1 or after 9999 once in UTC
        raise bad(_OUT_OF_RANGE) from None
    except ValueError as exc:
        detail = str(exc)
        noise = detail.startswith("Invalid isoformat") or "is not a duration" in detail
        raise bad("" if noise else detail) from None


_OUT_OF_RANGE = f"out of range: dates must fall in the years {FIRST_YEAR} to {LAST_YEAR}"


def in_range(instant: datetime) -> datetime:
    """`instant` (aware) when its year in UTC is one dates may have (`limits.year_problem`:
    1 to 9998, so that any zone can show it); ValueError otherwise."""
    if year_problem(instant.astimezone(UTC).year) is not None:
        raise ValueError(_OUT_OF_RANGE)
    return instant


def ago(duration: str, now: datetime) -> datetime:
    """The instant `duration` ("7d", "2h") before `now`, for `--since -7d` and `--date -3d`;
    ValueError when it is no duration or reaches before year 1."""
    try:
        return in_range(now.astimezone(UTC) - parse_duration(duration))
    except OverflowError:
        raise ValueError(_OUT_OF_RANGE) from None


def _instant(value: str, tz: ZoneInfo, now: datetime) -> datetime:
    """The instant of an accepted form; ValueError when `value` is none of them."""
    if value.startswith("+"):
        return now.astimezone(UTC) + parse_duration(value[1:])
    if _DATE.match(value):
        return datetime.combine(datetime.fromisoformat(value).date(), time(), tz).astimezone(UTC)
    if _LOCAL.match(value):
        return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=tz).astimezone(UTC)
    parsed = datetime.fromisoformat(value.replace("z", "Z"))
    if parsed.tzinfo is None:
        raise ValueError("Invalid isoformat: no offset")
    return parsed.astimezone(UTC)


def local_time(value: datetime | None, zone: str, *, seconds: bool = False) -> str:
    """A stored (UTC) time as staff read it, in `zone`: the CLI's tables and the console's pages."""
    if value is None:
        return "-"
    shown = value.astimezone(ZoneInfo(zone))
    return shown.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
