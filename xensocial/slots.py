"""When a channel's slots fall: pure functions of the channel's configuration and a time.

A slot is identified by its nominal instant in UTC (no jitter): the same on every replica and
after every restart, so the slot ledger can refuse a second claim. Jitter only moves when the
daemon acts, never which slot it is.

Local times are turned into instants with `zoneinfo`, which makes DST exact:
- 09:30 Europe/Amsterdam is 08:30 UTC in winter and 07:30 UTC in summer, including on both
  transition days;
- a time that does not exist on the spring-forward day (02:30) fires at the instant it would
  have been with the old offset, i.e. 03:30 local time, once;
- a time that happens twice on the fall-back day fires once, at its first occurrence.

Cron channels (6 fields, seconds first, for demos and tests) use APScheduler's CronTrigger,
imported only when such a channel is asked about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ChannelConfig

__all__ = [
    "build_cron_trigger",
    "jittered",
    "next_slot",
    "previous_slot",
    "slot_times",
    "slots_between",
]

_SCAN_DAYS_BACK = 8  # a weekly pattern always has a slot within 8 local days


def build_cron_trigger(cron: str, timezone: str) -> Any:
    """APScheduler CronTrigger for a 6-field expression (seconds first).

    Raises ValueError with APScheduler's explanation when a field is out of range.
    Note: in APScheduler, numeric day_of_week counts from 0 = Monday; names (mon-fri) are
    unambiguous and recommended."""
    from apscheduler.triggers.cron import CronTrigger

    second, minute, hour, day, month, day_of_week = cron.split()
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=day_of_week,
        timezone=timezone,
    )


def _day_allowed(channel: ChannelConfig, instant: datetime) -> bool:
    if channel.days is None:
        return True
    return instant.astimezone(channel.zone).weekday() in channel.days


def _list_slots_from(channel: ChannelConfig, first_day: date) -> Iterator[datetime]:
    """Slot instants of a `slots = [...]` channel, from local day `first_day` on, ascending."""
    zone = channel.zone
    day = first_day
    while True:
        if channel.days is None or day.weekday() in channel.days:
            instants = sorted(
                {datetime.combine(day, t, tzinfo=zone).astimezone(UTC) for t in channel.slots}
            )
            yield from instants
        day += timedelta(days=1)


def _cron_slots_from(channel: ChannelConfig, start: datetime) -> Iterator[datetime]:
    assert channel.cron is not None
    trigger = build_cron_trigger(channel.cron, channel.timezone)
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None:
        instant = fire.astimezone(UTC)
        if _day_allowed(channel, instant):
            yield instant
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))


def slot_times(channel: ChannelConfig, start: datetime) -> Iterator[datetime]:
    """Every slot instant (UTC) at or after `start`, ascending, without end: slice it."""
    start = start.astimezone(UTC)
    if channel.cron is not None:
        yield from (t for t in _cron_slots_from(channel, start) if t >= start)
        return
    first_day = start.astimezone(channel.zone).date() - timedelta(days=1)
    yield from (t for t in _list_slots_from(channel, first_day) if t >= start)


def slots_between(
    channel: ChannelConfig, start: datetime, end: datetime, limit: int
) -> tuple[list[datetime], bool]:
    """The channel's slots in [start, end), at most `limit`, and whether more fall there (a
    seconds-cron channel has thousands a day): the forecast's and the calendar's."""
    times: list[datetime] = []
    for at in slot_times(channel, start):
        if at >= end:
            return times, False
        if len(times) == limit:
            return times, True
        times.append(at)
    return times, False


def next_slot(channel: ChannelConfig, after: datetime) -> datetime:
    """The first slot strictly after `after`."""
    return next(slot_times(channel, after + timedelta(microseconds=1)))


def previous_slot(
    channel: ChannelConfig, at_or_before: datetime, within: timedelta
) -> datetime | None:
    """The latest slot in [at_or_before - within, at_or_before], or None.

    Used at start-up to find the one slot that may be caught up after downtime."""
    earliest = at_or_before - within
    latest: datetime | None = None
    for t in slot_times(channel, earliest):
        if t > at_or_before:
            break
        latest = t
    return latest


def jittered(channel: ChannelConfig, slot_at: datetime) -> datetime:
    """When to act on `slot_at`: a delay in [0, jitter] that every replica computes alike."""
    if not channel.jitter:
        return slot_at
    digest = hashlib.sha256(f"{channel.name}|{slot_at.isoformat()}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return slot_at + timedelta(seconds=channel.jitter.total_seconds() * fraction)
