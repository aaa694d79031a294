"""When a delivered report is due: the one rule the daemon's job and its tests share.

A period's report is sent on `day` of the month after it at `at`, local time in the
configuration's zone (by default the 1st at 09:00: November's report on 1 December, Q3's on
1 October). At any instant the report owed is that of the latest period whose send time has
passed: a daemon started on the 1st at 10:00, or restarted after a crash on the 3rd, still
sends it; one stopped for the whole of a month sends the latest report when it is back, not a
backlog of old ones. Whether it was sent already is the record's business
(`content_queue.report_sends`), not this module's.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from .periods import Period, default_month, default_quarter

__all__ = ["due_period", "send_time"]


def send_time(period: Period, day: int, at: time) -> datetime:
    """The UTC instant `period`'s report is sent: `day` of the month after it, `at` local.
    A local time skipped by a daylight-saving change resolves as `zoneinfo` does (fold 0)."""
    local = datetime.combine(period.end_day.replace(day=day), at, ZoneInfo(period.zone))
    return local.astimezone(UTC)


def due_period(now: datetime, zone: str, kind: str, day: int, at: time) -> Period:
    """The latest period of `kind` ("month" or "quarter") whose report is due at `now`."""
    latest = default_month(now, zone) if kind == "month" else default_quarter(now, zone)
    return latest if send_time(latest, day, at) <= now else latest.previous()
