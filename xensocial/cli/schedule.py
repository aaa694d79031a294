"""`xensocial schedule`: the calendar of each channel's coming slots, and what each would post.

The forecast itself is `xensocial.forecast` (the daemon's decisions played forward, the slot
gate being the publisher's own `xensocial.slot_gate`); this module reads the options, gathers
the blackouts and prints the plans as a table or JSON.
It is a forecast: items added, approved or cancelled later change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import click

from ..errors import UsageError
from ..forecast import ChannelPlan, plan_configured
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, local_time

__all__ = ["schedule"]


def _as_dict(p: ChannelPlan, images: Mapping[int, int] | None = None) -> dict[str, Any]:
    """`p` as `schedule --json` prints it; `images`: how many images each item carries."""
    zone = p.channel.zone
    images = images or {}
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
                    "images": images.get(s.item.item_id, 0),
                },
                "reason": s.reason,
                "pinned": s.pinned,
                "skipped": s.skipped,
            }
            for s in p.slots
        ],
    }


def _with_images(n: int) -> str:
    """The mark of an item posted with images: ` [2 images]`."""
    return f" [{n} image{'s' if n > 1 else ''}]" if n else ""


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
    from content_queue.queue import ContentQueue

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
    plans = plan_configured(settings, ledger, targets, now, until)
    # Which items carry images, in one read (the forecast itself reads no item's images).
    images = ContentQueue(app.engine, clock=app.clock).image_counts(
        s.item.item_id for p in plans for s in p.slots if s.item is not None
    )
    if as_json:
        emit_json([_as_dict(p, images) for p in plans])
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
                f"item {s.item.item_id}: {trim(s.item.title or s.item.url, 50)}"
                + _with_images(images.get(s.item.item_id, 0))
                if s.item
                else "-",
                s.reason or s.skipped or "",
            )
            for s in p.slots
        ]
        table = format_table(("WHEN", "WOULD POST", "WHY"), rows)
        echo("\n".join("  " + line for line in table.splitlines()))
        if p.truncated:
            echo(f"  (only the first {len(p.slots)} slots are shown)")
