"""`xensocial queue ...`: what staff do with items (add, list, show, approve, cancel, edit, import).

Each command checks its input (channels, dates, ids) before it writes, so a refused command
leaves the database exactly as it was, then makes one call to the queue API.

This module holds the group, the reading commands (`list`, `show`) and the state changes
(`approve`, `cancel`); the commands with checks of their own are in their own modules and
registered here: `add` (queue_add.py, the one whose speed matters), `edit` (queue_edit.py) and
`import` (queue_import.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..item_actions import check_approvable, check_ids
from ..media.describe import describe
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, item_summary, local_time, unchanged
from .params import ITEM_ID, LIMIT
from .queue_add import add
from .queue_edit import edit
from .queue_editorial import editorial_lines
from .queue_import import import_

if TYPE_CHECKING:
    from content_queue.views import ItemView, Thread

__all__ = ["queue"]


def _feed_drafts(app: App, name: str) -> list[int]:
    """The draft items feed `name` queued; FeedNotFound (exit 2) for a name no feed has."""
    from content_queue.sources import FeedNotFound, FeedStore

    try:
        return FeedStore(app.sessions, app.clock).drafts(name)
    except FeedNotFound:
        if name in {f.name for f in app.settings.feeds}:
            return []  # declared in the file, never polled yet: nothing from it so far
        raise


@click.group()
def queue() -> None:
    """Add, review and change the items waiting to be posted."""


queue.add_command(add)  # `queue add`, in queue_add.py
queue.add_command(edit)  # `queue edit`, in queue_edit.py
queue.add_command(import_)  # `queue import`, in queue_import.py


@queue.command("list")
@click.option(
    "--state",
    help="Item state (draft, approved, cancelled) or delivery state (pending, published, failed, ...).",
)
@click.option("--channel", help="Only items targeting this channel.")
@click.option(
    "--limit",
    type=LIMIT,
    default=50,
    show_default=True,
    help="At most this many (newest first).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of items.")
@pass_app
def list_(app: App, state: str | None, channel: str | None, limit: int, as_json: bool) -> None:
    """List items, newest first."""
    if channel is not None:
        app.settings.channel(channel)  # raises UsageError naming the channels
    # Any limit above what a database integer holds means "all of them".
    items = app.reader.list_items(state=state, channel=channel, limit=limit)
    if as_json:
        emit_json([i.as_dict() for i in items])
        return
    if not items:
        echo("No items." if state is None else f"No {state} items.")
        return
    zone = app.settings.timezone
    rows: list[tuple[Any, ...]] = [
        (
            i.id,
            i.state,
            i.category,
            trim(i.title or i.url, 48),
            " ".join(f"{d.channel}:{d.state}" for d in i.deliveries),
            local_time(i.created_at, zone),
        )
        for i in items
    ]
    headers: tuple[str, ...] = ("ID", "STATE", "CATEGORY", "TITLE", "DELIVERIES", "CREATED")
    if state == "draft":  # who is waiting for approval: a feed (feed:NAME), an import, a person
        headers += ("FROM",)
        rows = [
            (*row, trim(i.created_by or i.source, 30)) for row, i in zip(rows, items, strict=True)
        ]
    echo(format_table(headers, rows))


@queue.command()
@click.argument("item_id", metavar="ID", type=ITEM_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
@pass_app
def show(app: App, item_id: int, as_json: bool) -> None:
    """Show one item and its delivery on each channel."""
    item = app.reader.get(item_id)
    thread = app.reader.item_thread(item_id)
    if as_json:
        data = item.as_dict()
        if thread.replies:
            data["replies"] = list(thread.replies)
            for d in data["deliveries"]:
                d["parts"] = [p.as_dict() for p in thread.parts_on(d["id"])]
        emit_json(data)
        return
    zone = app.settings.timezone
    fields = [
        ("Item", str(item.id)),
        ("URL", item.url),
        ("Title", item.title or "-"),
        ("Text", item.text or "-"),
        ("Category", item.category),
        ("Tags", ", ".join(item.tags) or "-"),
        ("State", item.state),
        ("Priority", str(item.priority)),
        ("Not before", local_time(item.not_before, zone)),
        ("Expires", local_time(item.expires_at, zone)),
        *editorial_lines(item, zone),
        ("Source", item.source),
        ("Created", f"{local_time(item.created_at, zone)} by {item.created_by or '?'}"),
        ("Updated", local_time(item.updated_at, zone)),
    ]
    for label, value in fields:
        echo(f"{label + ':':<12}{value}")
    for n, image in enumerate(item.images, start=1):
        echo(f"{'Images:' if n == 1 else '':<12}{describe(image, n)}")
    rows = [
        (
            d.channel,
            d.state,
            d.attempts,
            local_time(d.published_at, zone),
            d.remote_url or d.remote_id or "",
            trim(d.last_error or "", 60),
        )
        for d in item.deliveries
    ]
    echo("")
    echo(format_table(("CHANNEL", "STATE", "ATTEMPTS", "PUBLISHED", "REMOTE", "LAST ERROR"), rows))
    for line in _posted_lines(item, zone):
        echo(line)
    for line in _thread_lines(item, thread, zone):
        echo(line)


def _thread_lines(item: ItemView, thread: Thread, zone: str) -> list[str]:
    """The item's replies, and each part begun on each channel with its remote id: the ledger
    of a thread, part by part (docs/threads.md)."""
    if not thread.replies:
        return []
    lines = [
        "",
        f"Thread: the post and {len(thread.replies)} repl{'y' if len(thread.replies) == 1 else 'ies'}",
    ]
    lines += [f"  {n}. {trim(text, 70)}" for n, text in enumerate(thread.replies, 1)]
    rows = [
        (
            d.channel,
            "post" if p.position == 0 else f"reply {p.position}",
            p.state,
            local_time(p.published_at, zone),
            p.remote_url or p.remote_id or "",
            trim(p.detail or "", 40),
        )
        for d in item.deliveries
        for p in thread.parts_on(d.id)
    ]
    if rows:
        lines += [
            "",
            format_table(("CHANNEL", "PART", "STATE", "PUBLISHED", "REMOTE", "NOTE"), rows),
        ]
    return lines


def _posted_lines(item: ItemView, zone: str) -> list[str]:
    """What went out on each channel where the item is published: the record the report and
    the exports show, which a later edit of the item does not change."""
    lines: list[str] = []
    for d in item.deliveries:
        if d.posted is None:
            continue
        text = d.posted.text.splitlines() or ["-"]
        lines += [
            "",
            f"Posted on {d.channel} at {local_time(d.published_at, zone)}:",
            f"  {'Title:':<7}{d.posted.title or '-'}",
            f"  {'Link:':<7}{d.posted.url}",
            f"  {'Text:':<7}{text[0]}",
            *(f"  {'':<7}{rest}" for rest in text[1:]),
            *(
                f"  {'Image:':<7}{m.get('mime', '?')} {str(m.get('sha256', ''))[:12]}…; "
                + (f"alt: {m.get('alt')!r}" if m.get("alt") else "decorative (no alt text)")
                for m in d.posted.media
                if isinstance(m, dict)
            ),
        ]
    return lines


@queue.command()
@click.argument("item_ids", metavar="[ID]...", type=ITEM_ID, nargs=-1)
@click.option(
    "--all-from-feed",
    "feed",
    metavar="NAME",
    help="Approve every draft item that feed NAME queued (see `queue list --state draft`).",
)
@pass_app
def approve(app: App, item_ids: tuple[int, ...], feed: str | None) -> None:
    """Approve draft items, so the daemon may post them: the IDs given (all of them, or none
    if one is unknown), or every draft from a feed."""
    if bool(item_ids) == (feed is not None):
        raise UsageError("give the ids of the items to approve, or --all-from-feed NAME (not both)")
    if feed is not None:
        item_ids = tuple(_feed_drafts(app, feed))
        if not item_ids:
            echo(f"Feed {feed} has no draft items waiting for approval.")
            return
    else:
        check_ids(app.queue, item_ids, "approved")
    check_approvable(app.queue, item_ids)
    approved = 0
    for item, changed in app.queue.approve_many(item_ids, by=app.user):
        approved += changed
        if changed:
            echo(f"Approved item {item_summary(item)}")
        else:
            unchanged(f"Item {item.id}", "was already approved")
    if feed is not None:
        echo(f"Approved {approved} draft item(s) from feed {feed}.")


@queue.command()
@click.argument("item_ids", metavar="ID...", type=ITEM_ID, nargs=-1, required=True)
@pass_app
def cancel(app: App, item_ids: tuple[int, ...]) -> None:
    """Cancel items: nothing more of them is posted (posts already out stay)."""
    check_ids(app.queue, item_ids, "cancelled")
    for item_id in item_ids:
        item, changed = app.queue.cancel(item_id, by=app.user)
        out = ", ".join(d.channel for d in item.deliveries if d.state == "published")
        if changed:
            kept = f"; it stays published on {out}" if out else ""
            echo(f"Cancelled item {item_summary(item)}{kept}")
        elif item.state == "cancelled":
            unchanged(f"Item {item_id}", "was already cancelled")
        else:
            unchanged(
                f"Item {item_id}",
                f"is already published on every channel ({out}): nothing was left to stop",
            )
