"""The forecast behind `xensocial schedule`: each channel's coming slots, and what each would post.

It plays the daemon's decisions forward, slot by slot, on the queue as it is now: a slot
already claimed is used (`already used`); otherwise the slot gate (`xensocial.slot_gate`, the
very function the publisher asks: paused, blackout, the daily cap of the local day counting
what was published earlier that day and what earlier slots of the forecast take, `min_gap`
from the previous post, real or forecast) may skip it, in the daemon's words; otherwise the
slot takes what the editorial rules choose at its time, and says why
(`content_queue.selection.pick`, played forward by `content_queue.forecast`: pinned,
announcement, reminder, `category due (news 20% of 40%)`, `priority`, evergreen; an embargoed
item can fill a later slot), or nothing is queued (`nothing queued`). Pinned times (`queue add
--at`) are rows of their own, held by a pause or a blackout but not by the cap or the gap.

Each slot is taken as acted on at its own time, as the daemon acts on it when it runs on time.
It is a forecast: items added, approved or cancelled later change it, and so do pauses.
tests/daemon/test_forecast_equals_daemon.py runs the real publisher over the forecast slots
and holds it to each verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from .slot_gate import SlotFacts, local_day_start, slot_gate
from .slots import slots_between

if TYPE_CHECKING:
    from content_queue import Ledger
    from content_queue.blackouts import Period
    from content_queue.forecast_store import ChannelData
    from content_queue.selection import Choice, Rules

    from .config import ChannelConfig, Settings
    from .config.editorial import EditorialConfig

__all__ = [
    "ALREADY_USED",
    "MAX_SLOTS_PER_CHANNEL",
    "NOTHING_QUEUED",
    "ChannelPlan",
    "PlannedSlot",
    "plan_channels",
    "plan_configured",
]

ALREADY_USED = "already used"
"""A slot claimed already (by the daemon, a replica or a dry run): it will not be used again."""

NOTHING_QUEUED = "nothing queued"
"""The gate lets the slot through but no item is eligible then: the daemon records `empty`."""

MAX_SLOTS_PER_CHANNEL = 50  # a seconds-cron channel has thousands of slots a day


@dataclass(frozen=True)
class PlannedSlot:
    at: datetime  # UTC
    item: Choice | None  # what it would post, and why (`reason`)
    skipped: str | None  # why nothing will be posted; None when `item` is set
    pinned: bool = False  # a pinned time (`queue add --at`), not one of the channel's slots

    @property
    def reason(self) -> str | None:
        return self.item.reason if self.item is not None else None


@dataclass(frozen=True)
class ChannelPlan:
    channel: ChannelConfig
    paused: bool
    pause_reason: str | None
    slots: tuple[PlannedSlot, ...]
    truncated: bool  # more slots fall in the period than are shown


def plan_channels(
    channels: Sequence[ChannelConfig],
    ledger: Ledger,
    now: datetime,
    until: datetime,
    max_slots: int = MAX_SLOTS_PER_CHANNEL,
    blackouts: Sequence[Period] = (),
    editorial: EditorialConfig | None = None,
) -> list[ChannelPlan]:
    """The forecast of each of `channels`' slots in [now, until), at most `max_slots` of them
    each, and of their pinned times; a slot inside one of `blackouts` (configured or stored) is
    skipped as the daemon will skip it. `editorial` is `[editorial]` (default: its defaults).

    What they need is read for all of them at once (`content_queue.forecast_store`): a few
    queries, however many channels (a test holds each plan to that of the channel read alone,
    in a list of one). Evergreen
    items are read only for the channels whose forecast reaches them, which are then played
    again (a forecast that never asks for them cannot depend on them)."""
    from content_queue.forecast import EvergreensNeeded
    from content_queue.forecast_store import ForecastAsk, load_evergreens, load_forecasts

    from .config.editorial import EditorialConfig, rules_for

    settings = editorial or EditorialConfig()
    prepared = []
    for channel in channels:
        times, truncated = slots_between(channel, now, until, max_slots)
        rules = rules_for(settings, channel.mix)
        ask = ForecastAsk(
            channel.name,
            rules,
            slots=len(times) + 100,
            until=until,
            day_start=local_day_start(channel.zone, now),
            min_gap=channel.min_gap,
        )
        prepared.append((channel, times, truncated, rules, ask))
    loaded = load_forecasts(ledger, [p[4] for p in prepared], now)
    plans: dict[str, ChannelPlan] = {}
    for channel, times, truncated, rules, ask in prepared:
        with suppress(EvergreensNeeded):  # played again below, with its evergreen items
            plans[channel.name] = _play(
                channel, times, truncated, rules, loaded[ask.channel], now, until, blackouts
            )
    missing = [p for p in prepared if p[0].name not in plans]
    evergreens = load_evergreens(ledger, [p[0].name for p in missing], now)
    for channel, times, truncated, rules, ask in missing:
        data = loaded[ask.channel]
        snapshot = replace(data.snapshot, evergreens=tuple(evergreens.get(channel.name, ())))
        data = replace(data, snapshot=snapshot)
        plans[channel.name] = _play(channel, times, truncated, rules, data, now, until, blackouts)
    return [plans[p[0].name] for p in prepared]


def plan_configured(
    settings: Settings,
    ledger: Ledger,
    channels: Sequence[ChannelConfig],
    now: datetime,
    until: datetime,
    max_slots: int = MAX_SLOTS_PER_CHANNEL,
) -> list[ChannelPlan]:
    """`plan_channels` with what the configuration and the database add to every forecast:
    the configured blackouts and the stored ones still to end, and `[editorial]`. What
    `xensocial schedule` prints and the console's calendar shows (`xensocial.calendar`), so
    the two cannot forecast apart.

    `ledger` reads on its own sessions: on PostgreSQL the forecast sets its transaction's
    isolation (`content_queue.forecast_store`), which a transaction already begun cannot."""
    blackouts: list[Period] = [*settings.blackouts, *ledger.blackouts(ending_after=now)]
    return plan_channels(
        channels,
        ledger,
        now,
        until,
        max_slots=max_slots,
        blackouts=blackouts,
        editorial=settings.editorial,
    )


def _play(
    channel: ChannelConfig,
    times: list[datetime],
    truncated: bool,
    rules: Rules,
    data: ChannelData,
    now: datetime,
    until: datetime,
    blackouts: Sequence[Period],
) -> ChannelPlan:
    """The daemon's decisions played slot by slot on what `data` holds (see the module
    docstring)."""
    from content_queue.forecast import Forecast
    from content_queue.selection import Choice, pick

    status = data.status
    forecast = Forecast(data.snapshot)
    last = times[-1] if truncated else until  # shown up to where the slots are shown
    pinned = set(forecast.pinned_times(now, last)) - set(times)
    timeline = sorted([*times, *pinned])
    if not timeline:
        return ChannelPlan(channel, status.paused, status.pause_reason, (), False)
    # What every slot reads the same, read once (a month of fifty channels is 3,000 slots).
    zone, note, claimed = channel.zone, status.note, data.claimed
    per_day: dict[date, int] = {now.astimezone(zone).date(): data.published_today}
    last_post = data.last_post
    out: list[PlannedSlot] = []
    for at in timeline:
        at_pin = at in pinned
        day = at.astimezone(zone).date()
        posted = per_day.setdefault(day, 0)
        if at in claimed:
            out.append(PlannedSlot(at, None, ALREADY_USED, at_pin))
            continue
        facts = SlotFacts(note, blackouts, posted, last_post)
        skipped = slot_gate(channel, at, at, facts, pinned=at_pin)  # acted on at its time
        if skipped is not None:
            out.append(PlannedSlot(at, None, skipped, at_pin))
            continue
        supply = forecast.supply(at)
        if at_pin:
            found = supply.pinned()
            choice = Choice("pinned", candidate=found) if found is not None else None
        else:
            choice = pick(supply, rules, at)
        if choice is None:
            out.append(PlannedSlot(at, None, NOTHING_QUEUED, at_pin))
            continue
        forecast.take(choice, at)
        per_day[day] = posted + 1
        last_post = at
        out.append(PlannedSlot(at, choice, None, at_pin))
    return ChannelPlan(channel, status.paused, status.pause_reason, tuple(out), truncated)
