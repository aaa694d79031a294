"""The `[[report.deliveries]]` tables -> `ReportDelivery`: the report mailed on a schedule.

    [[report.deliveries]]
    target = "comms-mail"                 # an email [[notify]] target: its server, login, sender
    to = ["board@example.org"]            # default: the target's own `to`
    period = "monthly"                    # or "quarterly"
    day = 1                               # default: the 1st of the month after the period...
    at = "09:00"                          # ...at 09:00 in the configuration's time zone
    formats = ["html", "csv", "pdf"]      # the HTML body, the CSV and the PDF attached (default)

The SMTP settings and the password are the target's, so a server is configured once for alerts
and reports. The schedule itself (which period is due when) is `reporting.schedule`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from .fields import FieldReader
from .notify import NotifyTarget, is_address

__all__ = ["DELIVERY_FORMATS", "DELIVERY_KEYS", "ReportDelivery", "parse_deliveries"]

DELIVERY_KEYS = {"target", "to", "period", "day", "at", "formats"}
DELIVERY_FORMATS = ("html", "csv", "pdf")
_PERIODS = {"monthly": "month", "quarterly": "quarter"}


@dataclass(frozen=True)
class ReportDelivery:
    """One `[[report.deliveries]]` table: which report, to whom, through which target, when."""

    target: str  # the name of an `email` [[notify]] target
    to: tuple[str, ...]  # the recipients (the target's own when the table names none)
    period: str = "month"  # "month" or "quarter" (`reporting.periods.Period.kind`)
    day: int = 1  # the day of the month after the period it is sent on
    at: time = time(9, 0)  # local time of that day
    formats: tuple[str, ...] = DELIVERY_FORMATS


def parse_deliveries(
    reader: FieldReader, raw: Any, targets: Sequence[NotifyTarget]
) -> tuple[ReportDelivery, ...]:
    """Check the `[[report.deliveries]]` tables (absent: none) against the `[[notify]]`
    targets; errors name the key."""
    emails = {t.name: t for t in targets if t.kind == "email"}
    tables = reader.tables(raw, "report.deliveries")
    return tuple(_delivery(reader, table, p, emails) for p, table in tables)


def _delivery(
    reader: FieldReader, table: Mapping[str, Any], p: str, emails: Mapping[str, NotifyTarget]
) -> ReportDelivery:
    reader.check_keys(table, DELIVERY_KEYS, p)
    if "target" not in table:
        raise reader.fail(p + "target", "missing; the name of an email [[notify]] target")
    name = table["target"]
    if name not in emails:
        raise reader.fail(
            p + "target",
            f"expected the name of an email [[notify]] target "
            f"({', '.join(emails) or 'none configured'}), got {name!r}",
        )
    to = table.get("to", list(emails[name].options["to"]))
    if not isinstance(to, list) or not to or not all(is_address(a) for a in to):
        raise reader.fail(p + "to", "expected a list of addresses such as ['board@example.org']")
    period = table.get("period", "monthly")
    if period not in _PERIODS:
        raise reader.fail(p + "period", f"expected monthly or quarterly, got {period!r}")
    day = table.get("day", 1)
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
        raise reader.fail(p + "day", f"expected a day of the month from 1 to 28, got {day!r}")
    at = time(9, 0)
    if "at" in table:
        text = reader.typed(table, "at", str, "a local time such as '09:00'", p)
        try:
            at = time.fromisoformat(text)
        except ValueError:
            raise reader.fail(
                p + "at", f"expected a local time such as '09:00', got {text!r}"
            ) from None
    formats = table.get("formats", list(DELIVERY_FORMATS))
    if (
        not isinstance(formats, list)
        or not formats
        or not all(f in DELIVERY_FORMATS for f in formats)
    ):
        raise reader.fail(
            p + "formats", f"expected a list of {', '.join(DELIVERY_FORMATS)}, got {formats!r}"
        )
    return ReportDelivery(
        target=name,
        to=tuple(to),
        period=_PERIODS[period],
        day=day,
        at=at,
        formats=tuple(dict.fromkeys(formats)),
    )
