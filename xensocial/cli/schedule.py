"""`xensocial schedule`: the calendar of each channel's coming slots, and what each would post.

The forecast applies the daemon's rules in the daemon's order, to the queue as it is now: a slot
already claimed is used; a paused channel (`paused: ...`) and a blackout (`blackout: ...`)
skip; the daily cap (`max_per_day`, counted per local
day, including what was published earlier today and what earlier slots of the forecast take)
skips; `min_gap` skips; otherwise the slot takes what the editorial rules choose at its time,
and says why (`content_queue.selection.pick`, played forward by `content_queue.forecast`:
pinned, announcement, reminder, `category due (news 20% of 40%)`, `priority`, evergreen; an
embargoed item can fill a later slot), or nothing is queued. Pinned times (`queue add --at`)
are rows of their own, held by a pause or a blackout but not by the cap or the gap.
It is a forecast: items added, approved or cancelled later change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, local_time

if TYPE_CHECKING:
    from content_queue import Ledger
    from content_queue.blackouts import Period
    from content_queue.forecast_store import ChannelData
    from content_queue.selection import Choice, Rules

    from ..config import ChannelConfig
    from ..config_editorial import EditorialConfig

__all__ = [
    "MAX_SLOTS_PER_CHANNEL",
    "ChannelPlan",
    "PlannedSlot",
    "plan_channel",
    "plan_channels",
    "schedule",
]

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


def _day_start(channel: ChannelConfig, day: date) -> datetime:
    return datetime.combine(day, time(), channel.zone).astimezone(UTC)


def _times(
    channel: ChannelConfig, now: datetime, until: datetime, max_slots: int
) -> tuple[list[datetime], bool]:
    """The channel's slots in [now, until), at most `max_slots`, and whether more fall there."""
    from ..slots import slot_times

    times: list[datetime] = []
    for at in slot_times(channel, now):
        if at >= until:
            return times, False
        if len(times) == max_slots:
            return times, True
        times.append(at)
    return times, False


def plan_channel(
    channel: ChannelConfig,
    ledger: Ledger,
    now: datetime,
    until: datetime,
    max_slots: int = MAX_SLOTS_PER_CHANNEL,
    blackouts: Sequence[Period] = (),
    editorial: EditorialConfig | None = None,
) -> ChannelPlan:
    """The forecast of `channel`'s slots in [now, until), at most `max_slots` of them, and of
    its pinned times; a slot inside one of `blackouts` (configured or stored) is skipped as the
    daemon will skip it. `editorial` is `[editorial]` (default: its defaults).

    It reads the channel alone, a dozen queries (`EditorialStore.snapshot` and the ledger):
    `plan_channels` reads many channels at once, and a test holds the two to the same plans."""
    from content_queue.editorial_store import EditorialStore
    from content_queue.forecast_store import ChannelData

    from ..config_editorial import EditorialConfig, rules_for

    times, truncated = _times(channel, now, until, max_slots)
    rules = rules_for(editorial or EditorialConfig(), channel.mix)
    today = now.astimezone(channel.zone).date()
    data = ChannelData(
        snapshot=EditorialStore.of(ledger).snapshot(
            channel.name, now, rules, until=until, slots=len(times) + 100
        ),
        status=ledger.status(channel.name),
        claimed=frozenset(ledger.slots_claimed(channel.name, now)),
        published_today=ledger.published_since(channel.name, _day_start(channel, today)),
        last_post=ledger.last_published_at(channel.name),
    )
    return _play(channel, times, truncated, rules, data, now, until, blackouts)


def plan_channels(
    channels: Sequence[ChannelConfig],
    ledger: Ledger,
    now: datetime,
    until: datetime,
    max_slots: int = MAX_SLOTS_PER_CHANNEL,
    blackouts: Sequence[Period] = (),
    editorial: EditorialConfig | None = None,
) -> list[ChannelPlan]:
    """`plan_channel` for each of `channels`, with what they need read for all of them at
    once (`content_queue.forecast_store`): a few queries, however many channels. Evergreen
    items are read only for the channels whose forecast reaches them, which are then played
    again (a forecast that never asks for them cannot depend on them)."""
    from content_queue.forecast import EvergreensNeeded
    from content_queue.forecast_store import ForecastAsk, load_evergreens, load_forecasts

    from ..config_editorial import EditorialConfig, rules_for

    settings = editorial or EditorialConfig()
    prepared = []
    for channel in channels:
        times, truncated = _times(channel, now, until, max_slots)
        rules = rules_for(settings, channel.mix)
        today = now.astimezone(channel.zone).date()
        ask = ForecastAsk(
            channel.name,
            rules,
            slots=len(times) + 100,
            until=until,
            day_start=_day_start(channel, today),
            min_gap=channel.min_gap,
        )
        prepared.append((channel, times, truncated, rules, ask))
    loaded = load_forecasts(ledger._sessions, [p[4] for p in prepared], now)
    plans: dict[str, ChannelPlan] = {}
    for channel, times, truncated, rules, ask in prepared:
        with suppress(EvergreensNeeded):  # played again below, with its evergreen items
            plans[channel.name] = _play(
                channel, times, truncated, rules, loaded[ask.channel], now, until, blackouts
            )
    missing = [p for p in prepared if p[0].name not in plans]
    evergreens = load_evergreens(ledger._sessions, [p[0].name for p in missing], now)
    for channel, times, truncated, rules, ask in missing:
        data = loaded[ask.channel]
        snapshot = replace(data.snapshot, evergreens=tuple(evergreens.get(channel.name, ())))
        data = replace(data, snapshot=snapshot)
        plans[channel.name] = _play(channel, times, truncated, rules, data, now, until, blackouts)
    return [plans[p[0].name] for p in prepared]


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
    """The daemon's rules applied slot by slot to what `data` holds (see the module
    docstring)."""
    from content_queue.blackouts import blackout_note, covering
    from content_queue.forecast import Forecast
    from content_queue.selection import Choice, pick

    status = data.status
    forecast = Forecast(data.snapshot)
    last = times[-1] if truncated else until  # shown up to where the slots are shown
    pinned = set(forecast.pinned_times(now, last)) - set(times)
    timeline = sorted([*times, *pinned])
    if not timeline:
        return ChannelPlan(channel, status.paused, status.pause_reason, (), False)
    claimed = data.claimed
    today = now.astimezone(channel.zone).date()
    per_day: dict[date, int] = {today: data.published_today}
    last_post = data.last_post
    out: list[PlannedSlot] = []
    for at in timeline:
        at_pin = at in pinned
        day = at.astimezone(channel.zone).date()
        posted = per_day.setdefault(day, 0)
        skipped: str | None = None
        blackout = covering(blackouts, channel.name, at)
        if at in claimed:
            skipped = "already used"
        elif status.paused:
            skipped = status.note
        elif blackout is not None:
            skipped = blackout_note(blackout)
        elif at_pin:
            pass  # a person chose the time: the cap and the gap do not hold it
        elif posted >= channel.max_per_day:
            skipped = f"daily cap of {channel.max_per_day} reached on {day.isoformat()}"
        elif channel.min_gap > timedelta(0) and last_post and at - last_post < channel.min_gap:
            skipped = f"min_gap: less than {channel.min_gap} after the previous post"
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
            out.append(PlannedSlot(at, None, "nothing queued", at_pin))
            continue
        forecast.take(choice, at)
        per_day[day] = posted + 1
        last_post = at
        out.append(PlannedSlot(at, choice, None, at_pin))
    return ChannelPlan(channel, status.paused, status.pause_reason, tuple(out), truncated)


def _as_dict(p: ChannelPlan) -> dict[str, Any]:
    zone = p.channel.zone
    return {
        "channel": p.channel.name,
        "network": p.channel.network,
        "timezone": p.channel.timezone,
        "schedule": p.channel.describe_schedule(),
        "paused": p.paused,
        "pause_reason": p.pause_reason,
        "truncated": p.truncated,
        "slots": [
            {
                "at": s.at.isoformat(),
                "local": s.at.astimezone(zone).isoformat(),
                "item": None
                if s.item is None
                else {
                    "id": s.item.item_id,
                    "title": s.item.title,
                    "url": s.item.url,
                    "priority": s.item.priority,
                },
                "reason": s.reason,
                "pinned": s.pinned,
                "skipped": s.skipped,
            }
            for s in p.slots
        ],
    }


@click.command()
@click.option(
    "--days",
    type=click.IntRange(min=1, max=366),
    default=7,
    show_default=True,
    help="How many days ahead.",
)
@click.option("--channel", help="Only this channel.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the calendar as JSON (times in UTC and local)."
)
@pass_app
def schedule(app: App, days: int, channel: str | None, as_json: bool) -> None:
    """The coming slots of each enabled channel and the item each would post now."""
    from content_queue.ledger import Ledger

    settings = app.settings
    if channel is not None:
        chosen = settings.channel(channel)  # raises UsageError naming the channels
        if not chosen.enabled:
            raise UsageError(
                f"channel {channel!r} is disabled (enabled = false in {settings.source})"
            )
        targets = [chosen]
    else:
        targets = [c for c in settings.channels if c.enabled]
    now = app.clock()
    until = now + timedelta(days=days)
    # Read only, on the engine: the forecast sets its own transaction's isolation on
    # PostgreSQL (`forecast_store`), which the command's transaction (`App.sessions`) cannot.
    ledger = Ledger(app.engine, clock=app.clock)
    blackouts: list[Period] = [*settings.blackouts, *ledger.blackouts(ending_after=now)]
    plans = plan_channels(
        targets, ledger, now, until, blackouts=blackouts, editorial=settings.editorial
    )
    if as_json:
        emit_json([_as_dict(p) for p in plans])
        return
    if not plans:
        echo("No enabled channels.")
        return
    for index, p in enumerate(plans):
        if index:
            echo("")
        ch = p.channel
        header = f"{ch.name} ({ch.network}): {ch.describe_schedule()}"
        if p.paused:
            header += f" — PAUSED: {p.pause_reason or 'no reason given'}"
        echo(header)
        if not p.slots:
            echo(f"  no slot in the next {days} day(s)")
            continue
        rows = [
            (
                local_time(s.at, ch.timezone, seconds=bool(ch.cron)),
                f"item {s.item.item_id}: {trim(s.item.title or s.item.url, 50)}" if s.item else "-",
                s.reason or s.skipped or "",
            )
            for s in p.slots
        ]
        table = format_table(("WHEN", "WOULD POST", "WHY"), rows)
        echo("\n".join("  " + line for line in table.splitlines()))
        if p.truncated:
            echo(f"  (only the first {len(p.slots)} slots are shown)")
