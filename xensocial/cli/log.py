"""`xensocial log`: the audit log, newest first: who added, edited, approved, cancelled, paused,
resumed, blacked out, published or failed what, and when.

The entries are written by the queue and the ledger in the same transaction as each change
(`content_queue.audit`); this command only reads them, in the configuration's time zone.
"""

from __future__ import annotations

from datetime import datetime

import click

from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, local_time
from .params import ITEM_ID

__all__ = ["log"]


def _since(app: App, value: str | None) -> datetime | None:
    """The instant `--since` names: the command line's forms, or `-7d` / `-2h` (ago)."""
    if value is None:
        return None
    from ..errors import UsageError
    from ..timeinput import ago, parse_when

    text = value.strip()
    if text.startswith("-"):
        try:
            return ago(text[1:], app.clock())
        except ValueError as exc:
            why = f" ({exc})" if "out of range" in str(exc) else ""
            raise UsageError(
                f"--since: {value!r} is not a time{why}; expected e.g. -7d, -2h, 2026-03-01 "
                "or 2026-03-01 09:30"
            ) from None
    return parse_when(text, zone=app.settings.timezone, now=app.clock(), option="--since")


@click.command("log")
@click.option("--item", "item_id", type=ITEM_ID, help="Only what happened to this item.")
@click.option("--channel", help="Only what concerned this channel.")
@click.option("--since", help="From this time on: -7d, -2h (ago), 2026-03-01, 2026-03-01 09:30.")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=100_000),
    default=50,
    show_default=True,
    help="At most this many entries (newest first).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of entries (UTC).")
@pass_app
def log(
    app: App,
    item_id: int | None,
    channel: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Who did what, and when: the audit log, newest first.

    With --channel: that channel's own entries (pauses, posts, failures), those of the items
    it is to post, and blackouts of every channel."""
    from content_queue.audit import AuditLog

    audit = AuditLog(app.sessions)
    if item_id is not None:
        app.queue.get(item_id)  # raises ItemNotFound: a typo is not "nothing happened"
    known = channel is None or channel in app.settings.channel_names
    if not known and not audit.knows_channel(str(channel)):  # a removed channel keeps its history
        app.settings.channel(str(channel))  # raises UsageError naming the channels
    entries = audit.entries(item_id=item_id, channel=channel, since=_since(app, since), limit=limit)
    if as_json:
        emit_json([e.as_dict() for e in entries])
        return
    if not entries:
        echo("No entries.")
        return
    zone = app.settings.timezone
    rows = [
        (
            local_time(e.at, zone, seconds=True),
            trim(e.actor, 24),
            e.action,
            e.item_id if e.item_id is not None else "",
            e.channel or "",
            trim(e.detail, 70),
        )
        for e in entries
    ]
    echo(format_table(("WHEN", "WHO", "ACTION", "ITEM", "CHANNEL", "DETAIL"), rows))
