"""Whether a channel may use a slot: the one rule the daemon applies and `schedule` forecasts.

A slot is skipped, in this order, when the channel is paused (`paused: <reason>`), when a
blackout covers it (`blackout: <reason>`), when the channel's daily cap is reached on the
slot's *local* calendar day (`daily cap: ...`) or when its last post is less than `min_gap`
ago (`min_gap: ...`). A pinned time (`queue add --at`) is held by a pause or a blackout only:
a person chose the time, so the cap and the gap do not hold it back.

Why one pure function: the publisher (`xensocial.publishing`) gathers the facts from the
ledger when a slot comes, and the forecast (`xensocial.forecast`) from the state it plays
forward; both ask `slot_gate`, so what `schedule` shows is what the daemon will do, in the
same words (tests/daemon/test_forecast_equals_daemon.py holds the two to it). `SlotResult` is
what a slot then did, as the publisher reports it.

"now" is the moment the slot is acted on: the daemon's clock (a slot caught up or jittered
later is acted on after its nominal time), the slot's own time in the forecast. The minimum
gap is measured from it, and a blackout covering it holds the slot too (a slot from before a
blackout, acted on inside it, does not post there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from content_queue.blackouts import Period, blackout_note, covering
from content_queue.schema import SlotOutcome

if TYPE_CHECKING:
    from .config import ChannelConfig

__all__ = ["SlotFacts", "SlotResult", "held", "local_day_start", "slot_gate"]


@dataclass(frozen=True)
class SlotFacts:
    """What the gate reads of a channel at one slot, however it was found out.

    `pause_note`: `ChannelStatus.note` (None when not paused); `blackouts`: the configured and
    stored blackouts that may cover the slot or now; `posted_today`: the channel's posts
    published since `local_day_start` of the slot; `last_post`: when its latest post was
    published (None when none, or when it is too old to matter)."""

    pause_note: str | None
    blackouts: Iterable[Period]
    posted_today: int
    last_post: datetime | None


@dataclass(frozen=True)
class SlotResult:
    """What one slot did (`Publisher.run_slot`). `outcome` is None when the slot had been
    claimed already (by a replica or an earlier run) and nothing was done; otherwise it is what
    the ledger records, with `detail` the gate's reason when the slot was skipped."""

    channel: str
    slot_at: datetime
    outcome: SlotOutcome | None
    item_id: int | None = None
    detail: str | None = None


def local_day_start(zone: ZoneInfo, instant: datetime) -> datetime:
    """The UTC instant the local calendar day (in `zone`) containing `instant` began."""
    local_day = instant.astimezone(zone).date()
    return datetime.combine(local_day, time(0), tzinfo=zone).astimezone(UTC)


def held(
    channel: str,
    slot_at: datetime,
    now: datetime,
    pause_note: str | None,
    blackouts: Iterable[Period],
) -> str | None:
    """Why `channel` posts nothing at `slot_at` whatever its queue holds (`paused: ...`,
    `blackout: ...` covering the slot or `now`), or None. Pinned times stop here."""
    if pause_note is not None:
        return pause_note
    periods = blackouts if isinstance(blackouts, (list, tuple)) else list(blackouts)
    # The forecast acts on each slot at its own time: one instant, looked up once (the
    # calendar of a month asks this of some 3,000 slots).
    for at in (slot_at,) if now == slot_at else (slot_at, now):
        found = covering(periods, channel, at)
        if found is not None:
            return blackout_note(found)
    return None


def slot_gate(
    channel: ChannelConfig,
    slot_at: datetime,
    now: datetime,
    facts: SlotFacts,
    *,
    pinned: bool = False,
) -> str | None:
    """Why `channel` skips the slot `slot_at` acted on at `now` (see the module docstring), or
    None when the slot may post."""
    reason = held(channel.name, slot_at, now, facts.pause_note, facts.blackouts)
    if reason is not None or pinned:
        return reason
    if facts.posted_today >= channel.max_per_day:
        local_day = slot_at.astimezone(channel.zone).date().isoformat()
        return (
            f"daily cap: {facts.posted_today} of max {channel.max_per_day} already published "
            f"on {local_day} ({channel.timezone})"
        )
    last = facts.last_post
    if channel.min_gap > timedelta(0) and last is not None and now - last < channel.min_gap:
        return f"min_gap: last post at {last.isoformat()}, less than {channel.min_gap} ago"
    return None
