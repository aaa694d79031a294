"""Dates and times as staff type them on the command line, turned into aware UTC instants.

Staff think in their own zone ("post this from 1 December, 09:30"), so a date or time without
an offset is read in the configuration's `timezone`; an ISO 8601 value with an offset means
exactly that instant; "+2h" / "+3d" count from now. Everything else is refused with the list
of accepted forms, so a typo never schedules an item at a surprising time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from .durations import parse_duration
from .errors import UsageError

__all__ = ["ACCEPTED_FORMS", "parse_when"]

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

    if value.startswith("+"):
        try:
            delta = parse_duration(value[1:])
        except ValueError:
            raise bad() from None
        return now.astimezone(UTC) + delta
    tz = ZoneInfo(zone)
    try:
        if _DATE.match(value):
            return datetime.combine(datetime.fromisoformat(value).date(), time(), tz).astimezone(
                UTC
            )
        if _LOCAL.match(value):
            return (
                datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=tz).astimezone(UTC)
            )
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        detail = str(exc)
        raise bad("" if detail.startswith("Invalid isoformat") else detail) from None
    if parsed.tzinfo is None:
        raise bad()
    return parsed.astimezone(UTC)
