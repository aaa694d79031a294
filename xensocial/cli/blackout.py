"""`xensocial blackout add|list|remove`: periods in which nothing is posted.

A blackout added here is stored in the database (`content_queue.blackouts`), so a running
daemon honours it at its next slot, on every replica; those known in advance may also be
written in the configuration (`[[blackouts]]`), which `list` shows too but only the file can
change. Slots inside a blackout are skipped and recorded, never caught up afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, local_time

if TYPE_CHECKING:
    from content_queue.blackouts import BlackoutView

    from ..config.blackouts import BlackoutConfig

__all__ = ["blackout"]

_MAX_ID = 2**31 - 1  # blackouts.id is an INTEGER on PostgreSQL


class _BlackoutId(click.types.IntParamType):
    """A blackout's id; a number no blackout can have is "no blackout with id N"."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a blackout id; expected a number such as 3", param, ctx)
        if not 1 <= number <= _MAX_ID:
            self.fail(f"no blackout with id {number} (see `xensocial blackout list`)", param, ctx)
        return number


def _period(app: App, start: str, end: str) -> tuple[datetime, datetime]:
    """The UTC period `--from`/`--to` name; a date alone as `--to` includes that whole day."""
    from ..config.blackouts import end_of
    from ..timeinput import parse_when

    zone, now = app.settings.timezone, app.clock()
    starts_at = parse_when(start, zone=zone, now=now, option="--from")
    ends_at = end_of(end, zone=zone, now=now, option="--to")
    if ends_at <= starts_at:
        raise UsageError(
            f"--to ({local_time(ends_at, zone)}) must be later than --from "
            f"({local_time(starts_at, zone)})"
        )
    if ends_at <= now:
        raise UsageError(
            f"that period ended at {local_time(ends_at, zone)}, before now: nothing to black out"
        )
    return starts_at, ends_at


@click.group()
def blackout() -> None:
    """Periods in which nothing is posted (a holiday, a crisis, an embargo)."""


@blackout.command()
@click.option("--from", "start", required=True, help="Start: 2026-12-24, 2026-12-24 18:00, +1h.")
@click.option("--to", "end", required=True, help="End (a date alone: to the end of that day).")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    help="Only this channel (repeat for several; default: every channel).",
)
@click.option("--reason", required=True, help="Why (shown in the log, the ledger and `schedule`).")
@click.option("--json", "as_json", is_flag=True, help="Print the new blackout(s) as JSON.")
@pass_app
def add(
    app: App, start: str, end: str, channels: tuple[str, ...], reason: str, as_json: bool
) -> None:
    """Add a blackout: no post goes out on the channels concerned from --from to --to.

    Times without an offset are in the configuration's time zone. Slots inside are skipped
    (and recorded as such), not caught up afterwards."""
    for name in channels:
        app.settings.channel(name)  # raises UsageError naming the channels
    if not reason.strip():
        raise UsageError("--reason: say why, e.g. --reason 'Christmas break'")
    starts_at, ends_at = _period(app, start, end)
    added = app.ledger.add_blackout(
        starts_at, ends_at, reason=reason, channels=channels, by=app.user
    )
    if as_json:
        emit_json([b.as_dict() for b in added])
        return
    zone = app.settings.timezone
    for b in added:
        echo(
            f"Added blackout {b.id}: nothing is posted on {b.channel or 'any channel'} from "
            f"{local_time(b.starts_at, zone)} to {local_time(b.ends_at, zone)} ({b.reason})."
        )


def _state(start: datetime, end: datetime, now: datetime) -> str:
    return "over" if end <= now else "now" if start <= now else "coming"


def _config_row(b: BlackoutConfig, now: datetime) -> dict[str, Any]:
    return {
        "id": None,
        "source": f"configuration (blackouts[{b.index}])",
        "channels": list(b.channels),
        "from": b.starts_at.isoformat(),
        "to": b.ends_at.isoformat(),
        "reason": b.reason,
        "created_by": None,
        "state": _state(b.starts_at, b.ends_at, now),
    }


def _stored_row(b: BlackoutView, now: datetime) -> dict[str, Any]:
    return {
        "id": b.id,
        "source": "database",
        "channels": [b.channel] if b.channel else [],
        "from": b.starts_at.isoformat(),
        "to": b.ends_at.isoformat(),
        "reason": b.reason,
        "created_by": b.created_by,
        "state": _state(b.starts_at, b.ends_at, now),
    }


@blackout.command("list")
@click.option("--all", "all_", is_flag=True, help="Include blackouts that are over.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of blackouts.")
@pass_app
def list_(app: App, all_: bool, as_json: bool) -> None:
    """The current and coming blackouts, from the configuration and from `blackout add`."""
    now = app.clock()
    stored = app.ledger.blackouts(ending_after=None if all_ else now)
    configured = [b for b in app.settings.blackouts if all_ or b.ends_at > now]
    rows = [_config_row(b, now) for b in configured] + [_stored_row(b, now) for b in stored]
    rows.sort(key=lambda r: (r["from"], r["id"] or 0))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        echo("No blackouts." if all_ else "No current or coming blackouts.")
        return
    zone = app.settings.timezone
    table = [
        (
            r["id"] if r["id"] is not None else "config",
            local_time(datetime.fromisoformat(r["from"]), zone),
            local_time(datetime.fromisoformat(r["to"]), zone),
            ", ".join(r["channels"]) or "all",
            r["state"],
            trim(r["reason"] or "-", 40),
            r["created_by"] or r["source"],
        )
        for r in rows
    ]
    echo(format_table(("ID", "FROM", "TO", "CHANNELS", "STATE", "REASON", "BY"), table))


@blackout.command()
@click.argument("blackout_id", metavar="ID", type=_BlackoutId())
@pass_app
def remove(app: App, blackout_id: int) -> None:
    """Remove a blackout added with `blackout add` (the next slots post again).

    A blackout from the configuration is removed in the file."""
    removed = app.ledger.remove_blackout(blackout_id, by=app.user)
    echo(f"Removed blackout {removed.id} ({removed.reason or 'no reason given'}).")
