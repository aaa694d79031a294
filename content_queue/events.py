"""Events and their reminders, the rules: when a channel posts a reminder of an event.

An item with an event date (`queue add --event-date`) is never posted from that instant on (its
expiry is at most the event, see `queue.check_editorial_times`). Before it, each channel may post
reminders, at the offsets of `[editorial] event_reminders` (7 days and 1 day before, by
default). A reminder is a new item of its own (`reminder_of` points at the event's item), made
at the first slot where one is due, eligible from `event - offset` and expiring at the event.

On one channel, at time `now`, the reminder for offset `o` is due when:

- `event - o <= now < event`, and `o` is the smallest such offset (when several are due at
  once, for an event added late, only the nearest is posted: two reminders in a row say nothing
  the second does not);
- no reminder for `o` was made on the channel yet (earlier offsets passed over stay unmade);
- the event's own item went out on the channel before `event - o`: a reminder never comes
  before the announcement, and an announcement newer than the reminder's time is reminder
  enough.

The reminder's delivery key is derived from the event, the offset and the channel
(`reminder_key`), so it is made once whatever processes race for it.

Pure functions: the database side is `content_queue.editorial_store`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_REMINDERS",
    "Event",
    "ReminderDue",
    "describe_offset",
    "reminder_due",
    "reminder_key",
    "reminders_made",
]

DEFAULT_REMINDERS = (timedelta(days=7), timedelta(days=1))


@dataclass(frozen=True)
class Event:
    """An event item as one channel sees it."""

    item_id: int
    channel: str
    event_at: datetime
    published_at: datetime | None  # when the event's own item went out on the channel
    made: frozenset[timedelta] = field(default_factory=frozenset)  # offsets already reminded
    title: str = ""
    url: str = ""
    category: str = ""
    priority: int = 0


@dataclass(frozen=True)
class ReminderDue:
    """A reminder to make now: of `event`, `offset` before it."""

    event: Event
    offset: timedelta

    @property
    def key(self) -> str:
        return reminder_key(self.event.item_id, self.offset, self.event.channel)


def reminder_due(event: Event, now: datetime, offsets: Sequence[timedelta]) -> timedelta | None:
    """The offset whose reminder `event`'s channel should post at `now`, or None (see the
    module docstring for the rules)."""
    if now >= event.event_at:
        return None
    due = [o for o in offsets if event.event_at - o <= now]
    if not due:
        return None
    offset = min(due)
    if offset in event.made:
        return None
    if event.published_at is None or event.published_at >= event.event_at - offset:
        return None
    return offset


def reminders_made(
    keys: Collection[str], event: Event, offsets: Sequence[timedelta]
) -> frozenset[timedelta]:
    """The offsets among `offsets` whose reminder key for `event` is in `keys`."""
    return frozenset(o for o in offsets if reminder_key(event.item_id, o, event.channel) in keys)


def reminder_key(event_id: int, offset: timedelta, channel: str) -> str:
    """The idempotency key of the reminder of `event_id`, `offset` before it, on `channel`."""
    seconds = int(offset.total_seconds())
    digest = hashlib.sha256(f"reminder|{event_id}|{seconds}|{channel}".encode()).hexdigest()
    return f"xs-{digest[:40]}"


def describe_offset(offset: timedelta) -> str:
    """7 days -> '7d', 36 hours -> '1d12h', 90 minutes -> '1h30m'."""
    seconds = int(offset.total_seconds())
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts) or "0s"
