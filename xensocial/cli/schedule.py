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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..tables import format_table, trim
from .app import App, pass_app
from .output import emit_json, local_time

if TYPE_CHECKING:
    from content_queue import Ledger
    from content_queue.blackouts import Period
    from content_queue.selection import Choice

    from ..config import ChannelConfig
    from ..config_editorial import EditorialConfig

__all__ = ["MAX_SLOTS_PER_CHANNEL", "ChannelPlan", "PlannedSlot", "plan_channel", "schedule"]

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
    daemon will skip it. `editorial` is `[editorial]` (default: its defaults)."""
    from content_queue.blackouts import blackout_note, covering
    from content_queue.editorial_store import EditorialStore
    from content_queue.forecast import Forecast
    from content_queue.selection import Choice, pick

    from ..config_editorial import EditorialConfig, rules_for
    from ..slots import slot_times

    times: list[datetime] = []
    truncated = False
    for at in slot_times(channel, now):
        if at >= until:
            break
        if len(times) == max_slots:
            truncated = True
            break
        times.append(at)
    status = ledger.status(channel.name)
    rules = rules_for(editorial or EditorialConfig(), channel.mix)
    snapshot = EditorialStore.of(ledger).snapshot(
        channel.name, now, rules, until=until, slots=len(times) + 100
    )
    forecast = Forecast(snapshot)
    last = times[-1] if truncated else until  # shown up to where the slots are shown
    pinned = set(forecast.pinned_times(now, last)) - set(times)
    timeline = sorted([*times, *pinned])
    if not timeline:
        return ChannelPlan(channel, status.paused, status.pause_reason, (), False)
    claimed = ledger.slots_claimed(channel.name, timeline[0])
    today = now.astimezone(channel.zone).date()
    per_day: dict[date, int] = {
        today: ledger.published_since(channel.name, _day_start(channel, today))
    }
    last_post = ledger.last_published_at(channel.name)
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
    blackouts: list[Period] = [*settings.blackouts, *app.ledger.blackouts(ending_after=now)]
    plans = [
        plan_channel(c, app.ledger, now, until, blackouts=blackouts, editorial=settings.editorial)
        for c in targets
    ]
    if as_json:
        emit_json([_as_dict(p) for p in plans])
        return
    if not plans:
        click.echo("No enabled channels.")
        return
    for index, p in enumerate(plans):
        if index:
            click.echo("")
        ch = p.channel
        header = f"{ch.name} ({ch.network}): {ch.describe_schedule()}"
        if p.paused:
            header += f" — PAUSED: {p.pause_reason or 'no reason given'}"
        click.echo(header)
        if not p.slots:
            click.echo(f"  no slot in the next {days} day(s)")
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
        click.echo("\n".join("  " + line for line in table.splitlines()))
        if p.truncated:
            click.echo(f"  (only the first {len(p.slots)} slots are shown)")
