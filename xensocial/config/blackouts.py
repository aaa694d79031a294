"""The `[[blackouts]]` tables of the configuration -> validated, frozen `BlackoutConfig` values.

    [[blackouts]]
    from = 2026-12-24T00:00:00       # a date and time in the configuration's timezone
    to = 2026-12-26                  # a date alone: to the end of that day
    channels = ["xen-news"]          # default: every channel
    reason = "Christmas"
    # timezone = "Europe/Amsterdam"  # default: the top-level timezone

Periods that are known in advance (holidays, a release embargo) belong in the file; a sudden
one is added with `xensocial blackout add` and stored in the database. The publisher and the
schedule treat both the same way (`content_queue.blackouts.covering`).

`from` and `to` are TOML dates or date-times, or text in the forms the command line accepts
(`2026-12-24 18:00`, ISO 8601 with an offset); without an offset they are local times in the
zone. A date alone as `to` runs to the end of that day, so `from = 2026-12-24`,
`to = 2026-12-26` is three whole days, as people read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import UsageError
from .fields import FieldReader

__all__ = ["BLACKOUT_KEYS", "BlackoutConfig", "end_of", "parse_blackouts", "period_end"]

BLACKOUT_KEYS = {"from", "to", "channels", "reason", "timezone"}
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FORMS = "a date or date-time such as 2026-12-24 or 2026-12-24T18:00:00"


@dataclass(frozen=True)
class BlackoutConfig:
    """One blackout from the configuration; `channels` empty: every channel."""

    index: int  # its place in the file: `blackouts[index]` is how messages name it
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC, exclusive
    reason: str
    channels: tuple[str, ...] = ()

    def covers(self, channel: str, at: datetime) -> bool:
        mine = not self.channels or channel in self.channels
        return mine and self.starts_at <= at < self.ends_at


def period_end(value: datetime, *, date_only: bool, zone: str) -> datetime:
    """The end of a period given as `value`: a date alone means the end of that day (local
    midnight after it), so "to 2026-12-26" includes the 26th."""
    if not date_only:
        return value
    local_day = value.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    return datetime.combine(local_day, time(), ZoneInfo(zone)).astimezone(UTC)


def end_of(text: str, *, zone: str, now: datetime, option: str) -> datetime:
    """The end of a period typed as `text` (the command line's forms, see `timeinput`): a
    date alone is the end of that day. Raises UsageError as `parse_when` does."""
    from ..timeinput import parse_when  # 0.6 ms to import: only for a blackout

    at = parse_when(text, zone=zone, now=now, option=option)
    return period_end(at, date_only=bool(_DATE_ONLY.fullmatch(text.strip())), zone=zone)


def _instant(reader: FieldReader, value: Any, key: str, zone: str) -> tuple[datetime, bool]:
    """The instant `value` names, and whether it was a date alone."""
    from ..timeinput import parse_when  # 0.6 ms to import: only for a blackout

    tz = ZoneInfo(zone)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        return aware.astimezone(UTC), False
    if isinstance(value, date):
        return datetime.combine(value, time(), tz).astimezone(UTC), True
    if not isinstance(value, str) or value.strip().startswith(("+", "-")):
        raise reader.fail(key, f"expected {_FORMS}, got {value!r}")
    try:
        at = parse_when(value, zone=zone, now=datetime.now(UTC), option=key)
    except UsageError:
        raise reader.fail(key, f"expected {_FORMS} (in {zone}), got {value!r}") from None
    return at, bool(_DATE_ONLY.fullmatch(value.strip()))


def _channels(
    reader: FieldReader, table: Mapping[str, Any], prefix: str, known: Sequence[str]
) -> tuple[str, ...]:
    raw = table.get("channels", [])
    if not (isinstance(raw, list) and all(isinstance(c, str) for c in raw)):
        raise reader.fail(prefix + "channels", "expected a list of channel names")
    unknown = [c for c in raw if c not in known]
    if unknown:
        raise reader.fail(
            prefix + "channels",
            f"unknown channel {', '.join(repr(c) for c in unknown)}; "
            f"the channels are: {', '.join(known) or 'none'}",
        )
    return tuple(dict.fromkeys(raw))


def parse_blackouts(
    reader: FieldReader, raw: Any, default_zone: str, channel_names: Sequence[str]
) -> tuple[BlackoutConfig, ...]:
    """Check the `[[blackouts]]` tables (absent: none)."""
    out: list[BlackoutConfig] = []
    for index, (prefix, table) in enumerate(reader.tables(raw, "blackouts")):
        reader.check_keys(table, BLACKOUT_KEYS, prefix)
        for required in ("from", "to"):
            if required not in table:
                raise reader.fail(
                    prefix + required, f"missing; every blackout needs one ({_FORMS})"
                )
        zone = reader.zone(table.get("timezone", default_zone), prefix + "timezone")
        starts_at, _ = _instant(reader, table["from"], prefix + "from", zone)
        to, date_only = _instant(reader, table["to"], prefix + "to", zone)
        ends_at = period_end(to, date_only=date_only, zone=zone)
        if ends_at <= starts_at:
            raise reader.fail(prefix + "to", "must be later than `from`")
        reason = table.get("reason", "")
        if not isinstance(reason, str) or "\x00" in reason:
            raise reader.fail(prefix + "reason", f"expected text, got {reason!r}")
        channels = _channels(reader, table, prefix, channel_names)
        out.append(BlackoutConfig(index, starts_at, ends_at, reason.strip(), channels))
    return tuple(out)
