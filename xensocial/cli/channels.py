"""`xensocial channels ...`: the configured channels, their state, and pausing them.

A pause is stored in the database (`content_queue.Ledger`), not in the configuration, so it
takes effect in a running daemon at its next slot and survives restarts.

`channels list` also shows what each enabled channel's adapter warns of (`Adapter.warnings()`:
an API version or a token near its end), as the daemon logs at its start. Building the adapter
does no network I/O, and a channel that cannot be built (a missing secret, a wrong option) is
itself a warning: the list never fails for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, local_time, unchanged

if TYPE_CHECKING:
    from ..config import ChannelConfig

__all__ = ["channels"]


@click.group()
def channels() -> None:
    """Show the configured channels; pause and resume them."""


@channels.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of channels.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Each channel: network, schedule, pause, pending items, last and next post."""
    from ..slots import next_slot

    now = app.clock()
    ledger = app.ledger
    out: list[dict[str, Any]] = []
    times: list[tuple[datetime | None, datetime | None]] = []  # (last post, next slot)
    for ch in app.settings.channels:
        status = ledger.status(ch.name)
        last = ledger.last_published_at(ch.name)
        upcoming = next_slot(ch, now) if ch.enabled else None
        times.append((last, upcoming))
        out.append(
            {
                "name": ch.name,
                "network": ch.network,
                "enabled": ch.enabled,
                "schedule": ch.describe_schedule(),
                "timezone": ch.timezone,
                "paused": status.paused,
                "pause_reason": status.pause_reason,
                "paused_by": status.paused_by,
                "paused_at": status.paused_at.isoformat() if status.paused_at else None,
                "pending": ledger.pending_count(ch.name),
                "last_post": last.isoformat() if last else None,
                "next_slot": upcoming.isoformat() if upcoming else None,
                "warnings": _warnings(app, ch) if ch.enabled else [],
            }
        )
    if as_json:
        emit_json(out)
        return
    if not out:
        echo(f"No channels are configured in {app.settings.source}.")
        return
    rows = []
    for ch, row, (last, upcoming) in zip(app.settings.channels, out, times, strict=True):
        state = "disabled" if not ch.enabled else "active"
        if row["paused"]:
            state = f"paused ({row['pause_reason'] or 'no reason'})"
        rows.append(
            (
                ch.name,
                ch.network,
                trim(state, 40),
                row["pending"],
                local_time(last, ch.timezone),
                local_time(upcoming, ch.timezone, seconds=bool(ch.cron)),
                ch.describe_schedule(),
            )
        )
    echo(
        format_table(
            ("NAME", "NETWORK", "STATE", "PENDING", "LAST POST", "NEXT SLOT", "SCHEDULE"), rows
        )
    )
    for row in out:
        for warning in row["warnings"]:
            echo(f"Warning: {warning}")


def _warnings(app: App, channel: ChannelConfig) -> list[str]:
    """What `channel`'s adapter warns of, one line each; never raises, never calls a network.

    The adapter is built as the daemon builds it (`adapters.factory`), quietly: a secret file
    others can read is said by the commands that use secrets (`channels verify`, `run`), not
    by a listing."""
    from ..adapters.base import AdapterError
    from ..adapters.factory import build_adapter
    from ..errors import BadInput

    name = channel.name
    try:
        adapter = build_adapter(app.settings, channel, clock=app.clock, warn=lambda _: None)
    except (AdapterError, BadInput, ValueError, ImportError) as exc:
        text = _one_line(exc)
        return [text if repr(name) in text else f"channel {name!r}: {text}"]
    try:
        return [_one_line(w) for w in adapter.warnings()]
    except Exception as exc:  # an adapter's own bug must not hide the list
        return [f"channel {name!r}: its warnings could not be read ({type(exc).__name__})"]
    finally:
        adapter.close()


def _one_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return " ".join(line.strip() for line in lines) if lines else type(text).__name__


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
