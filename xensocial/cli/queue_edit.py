"""`xensocial queue edit`: change an item's fields, or its own words on one channel.

Kept apart from the other `queue` commands because an edit checks more than they do: the rules
every way in shares (`item_rules`), that the changed item still fits every channel it is still
to post on (`rendering.check_fits_channels`), and, for a partly posted item, which channels the
change reaches; all of it before the one call to the queue, so a refused edit changes nothing.
"""

from __future__ import annotations

from typing import Any

import click

from ..errors import UsageError
from ..item_actions import check_new_replies, edit_item, edit_reach
from ..media.attach import load_images
from .app import App, pass_app
from .images import ImageCommand, image_options, paired
from .output import echo, emit_json, item_summary, unchanged
from .params import ITEM_ID, PRIORITY
from .queue_add import time_option as _when
from .queue_editorial import editorial_options, read_options

__all__ = ["edit"]


@click.command(cls=ImageCommand)
@click.argument("item_id", metavar="ID", type=ITEM_ID)
@click.option("--url", help="New URL.")
@click.option("--title", help="New title.")
@click.option("--text", help="New text.")
@click.option("--category", help="New category.")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    help="Tag (repeatable); replaces all tags. --tag '' clears them.",
)
@click.option("--priority", type=PRIORITY, help="New priority.")
@click.option("--not-before", help="New earliest time ('none' clears it).")
@click.option("--expires", help="New expiry ('none' clears it).")
@click.option("--allow-duplicate", is_flag=True, help="Accept a new URL already queued or posted.")
@click.option(
    "--channel",
    help="With --text: the item's own text on this channel only (checked against its limit).",
)
@click.option("--clear-text", is_flag=True, help="With --channel: remove that channel's own text.")
@editorial_options(editing=True)
@image_options
@click.option("--no-images", is_flag=True, help="Remove the item's images.")
@click.option(
    "--reply",
    "replies",
    multiple=True,
    help="A follow-up text (repeatable); replaces all replies. Only before the item is out.",
)
@click.option("--no-replies", is_flag=True, help="Remove the item's replies: a single post again.")
@click.option("--json", "as_json", is_flag=True, help="Print the changed item as JSON.")
@pass_app
def edit(
    app: App,
    item_id: int,
    url: str | None,
    title: str | None,
    text: str | None,
    category: str | None,
    tags: tuple[str, ...],
    priority: int | None,
    not_before: str | None,
    expires: str | None,
    allow_duplicate: bool,
    channel: str | None,
    clear_text: bool,
    evergreen: bool | None,
    alt_text: str | None,
    at: str | None,
    event_date: str | None,
    images: tuple[str, ...],
    alts: tuple[str, ...],
    no_images: bool,
    replies: tuple[str, ...],
    no_replies: bool,
    as_json: bool,
) -> None:
    """Change fields of an item that is not cancelled.

    With --channel NAME, --text sets the item's own words for that channel only (the other
    channels keep the item's text), and --clear-text removes them. --image (each followed by
    its --alt) replaces the item's images, --no-images removes them: only while nothing of the
    item is out on any channel."""
    if channel is not None or clear_text:
        others: tuple[object, ...] = (url, title, category, priority, not_before, expires)
        others += (evergreen, alt_text, at, event_date)
        added = images or alts or replies or no_replies  # images and replies: not with --channel
        if tags or any(v is not None for v in others) or allow_duplicate or added:
            raise UsageError(
                "--channel changes only that channel's text (--text or --clear-text); "
                "change the other fields in a separate `queue edit`"
            )
        _edit_channel_text(app, item_id, channel, text, clear_text, as_json)
        return
    changes: dict[str, Any] = {}
    if url is not None:
        from content_queue.urls import validate_url

        validate_url(url)  # first: the checks below render the link (urlsplit raised on some)
    for name, value in (("url", url), ("title", title), ("text", text), ("priority", priority)):
        if value is not None:
            changes[name] = value
    if category is not None:
        changes["category"] = category
    if tags:
        changes["tags"] = [t.strip().lstrip("#") for t in tags if t.strip()]
    for name, raw, option in (
        ("not_before", not_before, "--not-before"),
        ("expires_at", expires, "--expires"),
    ):
        when = _when(app, raw, option, clearable=True)
        if when is not None:
            changes[name] = None if when == "clear" else when
    ed = read_options(app, (evergreen, alt_text, at, event_date), editing=True)
    changes.update(ed.changes())
    if no_images and (images or alts):
        raise UsageError("--no-images removes the images; give it without --image and --alt")
    loaded = load_images(paired(images, alts)) if images or alts or no_images else None
    thread = _new_replies(app, item_id, replies, no_replies)
    if not changes and loaded is None and thread is None:
        raise UsageError(
            "nothing to change; give at least one of --url, --title, --text, --category, --tag, "
            "--priority, --not-before, --expires, --evergreen/--no-evergreen, --alt-text, --at, "
            "--event-date, --image, --no-images, --reply, --no-replies"
        )
    edited, item, changed = edit_item(
        app.settings,
        app.queue,
        app.clock(),
        item_id,
        changes,
        loaded,
        by=app.user,
        allow_duplicate=allow_duplicate,
    )
    if thread is not None and app.queue.set_replies(item_id, thread, by=app.user):
        changed.append("replies")
        item = app.queue.get(item_id)
    if as_json:
        emit_json(item.as_dict())
    elif not changed:
        unchanged(f"Item {item_id}", "already has these values")
    else:
        echo(f"Changed {', '.join(changed)} of item {item_summary(item)}")
        if edited.kept:
            echo(edit_reach(edited))


def _new_replies(
    app: App, item_id: int, replies: tuple[str, ...], none: bool
) -> tuple[str, ...] | None:
    """The replies `--reply`/`--no-replies` ask for (None: not asked), checked as `queue add`
    checks them (`item_actions.check_new_replies`)."""
    if not replies and not none:
        return None
    if replies and none:
        raise UsageError("give --reply TEXT (to replace the replies) or --no-replies, not both")
    return check_new_replies(app.settings, app.queue, item_id, replies)


def _edit_channel_text(
    app: App, item_id: int, channel: str | None, text: str | None, clear: bool, as_json: bool
) -> None:
    """`queue edit ID --channel NAME --text ... | --clear-text`: checked, then one call."""
    from ..rendering import own_text_length

    if channel is None:
        raise UsageError("--clear-text needs --channel NAME: the channel whose own text to remove")
    if (text is None) != clear:
        raise UsageError(f"--channel {channel}: give --text '...' or --clear-text (one of them)")
    app.settings.channel(channel)  # raises UsageError naming the channels
    item = app.queue.get(item_id)  # raises ItemNotFound
    if item.delivery(channel) is None:
        targets = ", ".join(d.channel for d in item.deliveries) or "none"
        raise UsageError(f"item {item_id} is not for channel {channel!r} (its channels: {targets})")
    note = ""
    if text is not None:
        counted, limit, unit = own_text_length(app.settings, item, channel, text.strip())
        note = f": {counted} of {limit} {unit}"
    item, changed = app.queue.set_text(item_id, channel, text, by=app.user)
    if as_json:
        emit_json(item.as_dict())
    elif not changed:
        words = "this text already" if text is not None else "no text of its own"
        unchanged(f"Item {item_id} on {channel}", f"has {words}")
    elif text is None:
        echo(f"Item {item_id} on {channel} uses the item's own text again.")
    else:
        echo(f"Item {item_id} on {channel} now has its own text{note}")
