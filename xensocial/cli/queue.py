"""`xensocial queue ...`: what staff do with items (add, list, show, approve, cancel, edit, import).

Each command checks its input (channels, dates, ids) before it writes, so a refused command
leaves the database exactly as it was, then makes one call to the queue API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import UsageError
from ..item_rules import NO_WORDS
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, item_summary, local_time, unchanged
from .params import ITEM_ID, LIMIT, PRIORITY
from .queue_add import add
from .queue_add import time_option as _when
from .queue_editorial import editorial_lines, editorial_options, read_editorial

if TYPE_CHECKING:
    from content_queue.errors import RowError
    from content_queue.queue import Edited
    from content_queue.views import ItemView, NewItem

__all__ = ["queue"]


def _check_ids(app: App, ids: Sequence[int], action: str) -> None:
    """Every id exists (so a command on several items changes all of them or none); else
    UsageError naming every unknown id."""
    from content_queue.errors import ItemNotFound

    missing = []
    for item_id in dict.fromkeys(ids):
        try:
            app.queue.get(item_id)
        except ItemNotFound:
            missing.append(str(item_id))
    if missing:
        raise UsageError(f"no item with id {', '.join(missing)}; nothing was {action}")


def _check_words(app: App, ids: Sequence[int]) -> None:
    """Every draft among `ids` has words to post (`item_rules.check_words`), else nothing is
    approved: the daemon would post a bare link."""
    from ..item_rules import check_words

    for item_id in dict.fromkeys(ids):
        item = app.queue.get(item_id)
        if item.state == "draft":
            check_words(item_id, item.title, item.text)


def _feed_drafts(app: App, name: str) -> list[int]:
    """The draft items feed `name` queued; FeedNotFound (exit 2) for a name no feed has."""
    from content_queue.sources import FeedNotFound, FeedStore

    try:
        return FeedStore(app.sessions, app.clock).drafts(name)
    except FeedNotFound:
        if name in {f.name for f in app.settings.feeds}:
            return []  # declared in the file, never polled yet: nothing from it so far
        raise


def _check_edit_fits(app: App, item_id: int, changes: dict[str, Any]) -> None:
    """Refuse an edit that would leave the item unable to fit a channel it is still to be
    posted on (posts already out, failed or cancelled are not re-rendered), or an alternate
    text that cannot fit a channel it may be posted again on."""
    from content_queue.errors import InvalidItem
    from content_queue.limits import size_problem

    from ..rendering import Draft, check_fits_channels

    words = {"url", "title", "text", "category", "tags", "alt_text"}
    if not changes.keys() & words:
        return
    # Sizes first (lengths only): a huge field is refused before anything renders it.
    too_big = size_problem(**{k: v for k, v in changes.items() if k in words and v is not None})
    if too_big is not None:
        raise InvalidItem(*too_big)
    item = app.queue.get(item_id)
    known = app.settings.channel_names
    alt = (changes.get("alt_text") or "").strip()
    if alt:
        again = Draft(item.url, item.title, alt, item.category, item.tags)
        channels = [d.channel for d in item.deliveries if d.channel in known]
        check_fits_channels(app.settings, again, channels)
    own = {d.channel: d.text_override for d in item.deliveries if d.text_override is not None}
    draft = Draft(
        url=changes.get("url", item.url),
        title=changes.get("title", item.title),
        text=changes.get("text", item.text),
        category=changes.get("category", item.category),
        tags=changes.get("tags", item.tags),
    )
    waiting = [d.channel for d in item.deliveries if d.state == "pending"]
    check_fits_channels(app.settings, draft, [c for c in waiting if c in known], own)


def _check_edit_rules(app: App, item_id: int, changes: dict[str, Any]) -> None:
    """The rules every way in shares (`item_rules`), for the fields an edit changes: a known
    category, an expiry still ahead, and words left on an approved item."""
    from ..item_rules import check_category, check_expiry, check_words, known_categories

    if "category" in changes:
        changes["category"] = check_category(changes["category"], known_categories(app.settings))
    check_expiry(changes.get("expires_at"), app.clock(), app.settings.timezone)
    if changes.keys() & {"title", "text"}:
        item = app.queue.get(item_id)
        if item.state == "approved":
            check_words(item_id, changes.get("title", item.title), changes.get("text", item.text))


@click.group()
def queue() -> None:
    """Add, review and change the items waiting to be posted."""


queue.add_command(add)  # `queue add`, in queue_add.py


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
    if as_json:
        emit_json(item.as_dict())
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
        _check_ids(app, item_ids, "approved")
    _check_words(app, item_ids)
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
    _check_ids(app, item_ids, "cancelled")
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


@queue.command()
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
    as_json: bool,
) -> None:
    """Change fields of an item that is not cancelled.

    With --channel NAME, --text sets the item's own words for that channel only (the other
    channels keep the item's text), and --clear-text removes them."""
    if channel is not None or clear_text:
        others: tuple[object, ...] = (url, title, category, priority, not_before, expires)
        others += (evergreen, alt_text, at, event_date)
        if tags or any(v is not None for v in others) or allow_duplicate:
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
    ed = read_editorial(
        app, evergreen=evergreen, alt_text=alt_text, at=at, event_date=event_date, editing=True
    )
    changes.update(ed.changes())
    if not changes:
        raise UsageError(
            "nothing to change; give at least one of --url, --title, --text, --category, --tag, "
            "--priority, --not-before, --expires, --evergreen/--no-evergreen, --alt-text, --at, "
            "--event-date"
        )
    _check_edit_rules(app, item_id, changes)
    _check_edit_fits(app, item_id, changes)
    edited = app.queue.edit_item(item_id, changes, allow_duplicate=allow_duplicate, by=app.user)
    if as_json:
        emit_json(edited.item.as_dict())
    elif not edited.changed:
        unchanged(f"Item {item_id}", "already has these values")
    else:
        echo(f"Changed {', '.join(edited.changed)} of item {item_summary(edited.item)}")
        if edited.kept:
            echo(_reach(edited))


def _reach(edited: Edited) -> str:
    """Which channels an edit of a partly posted item reaches, and which keep their post."""
    kept = ", ".join(edited.kept)
    if not edited.applies_to:
        return f"It is out on every channel ({kept}): those posts keep what they said."
    return (
        f"This applies to {', '.join(edited.applies_to)} (not posted yet), not to {kept}: "
        "posts already out keep what they said."
    )


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


def _checked_rows(
    app: App,
    rows: Iterable[tuple[int, NewItem] | RowError],
    *,
    draft: bool,
    no_words: set[int],
) -> Iterator[tuple[int, NewItem] | RowError]:
    """The rows as read, one at a time: a row whose category is not a known one (`item_rules`)
    made a RowError, the others with their category as known, and as a draft when `draft` or
    when it has neither title nor text (the daemon never posts a bare link; its line is added to
    `no_words`). Whether an item fits its channels is `_unfit`'s, asked of new rows only."""
    from dataclasses import replace

    from content_queue.errors import InvalidItem, RowError

    from ..item_rules import check_category, known_categories, wordless

    known = known_categories(app.settings)
    for entry in rows:
        if isinstance(entry, RowError):
            yield entry
            continue
        line, new = entry
        try:
            category = check_category(new.category, known)
        except InvalidItem as exc:
            yield RowError(line, str(exc))
            continue
        bare = not draft and wordless(new.title, new.text)
        if bare:
            no_words.add(line)
        if category != new.category or draft or bare:  # (replace costs: 50,000 rows a file)
            new = replace(new, category=category, draft=new.draft or draft or bare)
        yield line, new


def _unfit(app: App) -> Callable[[NewItem], str | None]:
    """Why a row's item does not fit every channel it targets, or None: asked of each row
    about to be added (not of a duplicate, which nothing renders)."""
    from ..rendering import TextTooLong, check_fits_channels

    def problem(new: NewItem) -> str | None:
        try:
            check_fits_channels(app.settings, new, new.channels)
        except TextTooLong as exc:
            return str(exc)
        return None

    return problem


@queue.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-bad", is_flag=True, help="Import the good rows even if some are bad.")
@click.option(
    "--allow-duplicate", is_flag=True, help="Add rows whose URL is already queued or posted."
)
@click.option(
    "--draft", is_flag=True, help="Import every row as a draft, to approve later (`queue approve`)."
)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@pass_app
def import_(
    app: App, file: Path, skip_bad: bool, allow_duplicate: bool, draft: bool, as_json: bool
) -> None:
    """Add the items of a CSV file (header: url,title,text,category,tags,channels,not_before,priority).

    Tags and channels are separated by ';'; empty channels means every channel; not_before
    without an offset is in the configuration's time zone; a category must be a known one. If
    any row is bad nothing is imported, unless --skip-bad (a file with no good row at all is
    always refused). Duplicates are skipped and reported. A row with neither title nor text is
    imported as a draft (the daemon never posts a bare link), and so is every row with --draft.
    """
    from content_queue.csvimport import iter_csv
    from content_queue.errors import ImportFailed

    names = app.settings.channel_names
    rows = iter_csv(  # read as it is added: one batch of rows in memory at a time
        file,
        default_channels=names,
        known_channels=names,
        created_by=app.user,
        timezone=app.settings.timezone,
        limits=app.settings.imports,
    )
    no_words: set[int] = set()
    result = app.queue.add_many(
        _checked_rows(app, rows, draft=draft, no_words=no_words),
        skip_bad=skip_bad,
        allow_duplicate=allow_duplicate,
        path=str(file),
        admit=_unfit(app),
    )
    refused = sorted(result.refused, key=lambda e: e.line)
    if refused and not result.added and not result.duplicates:
        raise ImportFailed(str(file), refused)  # nothing was written: no row was good
    if as_json:
        emit_json(
            {
                "added": [{"line": line, "item": item.as_dict()} for line, item in result.added],
                "duplicates": [
                    {"line": line, "url": dup.url, "existing_id": dup.existing_id}
                    for line, dup in result.duplicates
                ],
                "refused": [{"line": e.line, "message": e.message} for e in refused],
                "drafts_without_words": [n for n, _ in result.added if n in no_words],
            }
        )
        return
    ids = ", ".join(str(item.id) for _, item in result.added)
    echo(f"Added {len(result.added)} item(s) from {file}" + (f": {ids}" if ids else ""))
    if result.duplicates:
        echo(f"Skipped {len(result.duplicates)} duplicate(s):")
        for line, dup in result.duplicates:
            echo(f"  line {line}: {dup.url} is item {dup.existing_id} ({dup.existing_state})")
    drafted = [str(n) for n, _ in result.added if n in no_words]
    if drafted:
        echo(
            f"Added {len(drafted)} row(s) as drafts ({NO_WORDS}): line(s) {', '.join(drafted)}; "
            "give them words with `xensocial queue edit ID --title ...`, then approve them."
        )
    if refused:
        echo(f"Refused {len(refused)} row(s):")
        for error in refused:
            echo(f"  {error}")
