"""`xensocial channels ...`: the configured channels, their state, and pausing them.

A pause is stored in the database (`content_queue.Ledger`), not in the configuration, so it
takes effect in a running daemon at its next slot and survives restarts.

`channels list` prints `xensocial.channel_status` (what the web console's channels page shows
too), with what each enabled channel's adapter warns of (`Adapter.warnings()`: an API version
or a token near its end), as the daemon logs at its start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, local_time, unchanged

if TYPE_CHECKING:
    from ..channel_status import ChannelOverview

__all__ = ["channels"]


@click.group()
def channels() -> None:
    """Show the configured channels; pause and resume them."""


@channels.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of channels.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Each channel: network, schedule, pause, pending items, last and next post."""
    from ..channel_status import channel_overviews

    rows = channel_overviews(app.settings, app.ledger, app.clock)
    if as_json:
        emit_json([_as_dict(row) for row in rows])
        return
    if not rows:
        echo(f"No channels are configured in {app.settings.source}.")
        return
    table = [
        (
            row.channel.name,
            row.channel.network,
            trim(row.state, 40),
            row.pending,
            local_time(row.last_post, row.channel.timezone),
            local_time(row.next_slot, row.channel.timezone, seconds=bool(row.channel.cron)),
            row.channel.describe_schedule(),
        )
        for row in rows
    ]
    echo(
        format_table(
            ("NAME", "NETWORK", "STATE", "PENDING", "LAST POST", "NEXT SLOT", "SCHEDULE"), table
        )
    )
    for row in rows:
        for warning in row.warnings:
            echo(f"Warning: {warning}")


def _as_dict(row: ChannelOverview) -> dict[str, Any]:
    ch = row.channel
    return {
        "name": ch.name,
        "network": ch.network,
        "enabled": ch.enabled,
        "schedule": ch.describe_schedule(),
        "timezone": ch.timezone,
        "paused": row.paused,
        "pause_reason": row.pause_reason,
        "paused_by": row.paused_by,
        "paused_at": row.paused_at.isoformat() if row.paused_at else None,
        "pending": row.pending,
        "last_post": row.last_post.isoformat() if row.last_post else None,
        "next_slot": row.next_slot.isoformat() if row.next_slot else None,
        "warnings": list(row.warnings),
    }


def _targets(app: App, name: str | None, all_: bool) -> list[str]:
    if all_ == (name is not None):
        raise UsageError("name one channel, or give --all (not both)")
    if all_:
        return app.settings.channel_names
    assert name is not None
    return [app.settings.channel(name).name]  # raises UsageError naming the channels


@channels.command()
@click.argument("name", required=False)
@click.option("--all", "all_", is_flag=True, help="Pause every configured channel.")
@click.option("--reason", help="Why (shown in `channels list` and the daemon's log).")
@pass_app
def pause(app: App, name: str | None, all_: bool, reason: str | None) -> None:
    """Pause a channel: its slots are skipped and its items kept until `channels resume`.

    --all is the stop button: every channel stops at once (a crisis); `schedule` and the
    daemon's log show the reason on each skipped slot."""
    from content_queue.plaintext import inert

    targets = _targets(app, name, all_)
    why = inert(reason, "--reason").strip() if reason else f"paused by {app.user}"
    for channel in targets:
        before = app.ledger.status(channel)
        if app.ledger.pause(channel, why, by=app.user):
            echo(f"Paused {channel}: {why}")
        elif before.paused and before.pause_reason == why:
            unchanged(channel, f"was already paused: {why}")
        else:
            echo(f"{channel} was already paused; reason now: {why}")
    if all_ and targets:
        echo("Nothing is posted on any channel until `xensocial channels resume --all`.", err=True)


@channels.command()
@click.argument("name", required=False)
@click.option("--all", "all_", is_flag=True, help="Resume every configured channel.")
@pass_app
def resume(app: App, name: str | None, all_: bool) -> None:
    """Resume a paused channel: its next slot posts again."""
    for channel in _targets(app, name, all_):
        if app.ledger.resume(channel, by=app.user):
            echo(f"Resumed {channel}.")
        else:
            unchanged(channel, "was not paused")
