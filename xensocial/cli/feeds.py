"""`xensocial feeds ...`: the RSS/Atom feeds that fill the queue (add, list, remove, poll).

Feeds declared in the configuration (`[[feeds]]`) are synced into the database before each
command, so `feeds list` shows them with the CLI-added ones; they are changed in the file, not
here (`feeds remove` refuses them and says where they are).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from ..errors import UsageError
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, local_time, quiet_logger
from .params import PRIORITY

if TYPE_CHECKING:
    from content_queue.sources import FeedStore

__all__ = ["feeds"]


def _store(app: App, *, polling: bool = False) -> FeedStore:
    """The feeds, in the command's one transaction (`App.sessions`); when `polling`, on the
    engine instead: a poll fetches several feeds at once, in threads, and keeps what each
    brought in its own transaction, as the daemon does (see `transaction`)."""
    from content_queue.sources import FeedStore

    from ..intake.feeds import sync_config_feeds

    store = FeedStore(
        app.engine if polling else app.sessions,
        clock=app.clock,
        evergreen_categories=sorted(app.settings.editorial.evergreen_categories),
    )
    sync_config_feeds(app.settings, store)
    return store


@click.group()
def feeds() -> None:
    """RSS/Atom feeds whose new entries become queue items."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="A short unique name (default: the URL's host).")
@click.option("--category", default="news", show_default=True, help="Category of its items.")
@click.option("--tag", "tags", multiple=True, help="A tag for its items (repeatable).")
@click.option(
    "--channel", "channels", multiple=True, help="A target channel (repeatable; default: all)."
)
@click.option("--auto-approve", is_flag=True, help="Queue its items approved, not as drafts.")
@click.option("--interval", default="30m", show_default=True, help="How often to poll it.")
@click.option(
    "--include",
    multiple=True,
    help="Only entries whose title or summary has this word (repeatable).",
)
@click.option(
    "--exclude",
    multiple=True,
    help="Skip entries whose title or summary has this word (repeatable).",
)
@click.option(
    "--initial",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="How many of its newest entries the first poll queues (the rest are marked seen).",
)
@click.option(
    "--priority",
    type=PRIORITY,
    default=0,
    show_default=True,
    help="Priority of its items (higher first).",
)
@pass_app
def add(
    app: App,
    url: str,
    name: str | None,
    category: str,
    tags: Sequence[str],
    channels: Sequence[str],
    auto_approve: bool,
    interval: str,
    include: Sequence[str],
    exclude: Sequence[str],
    initial: int,
    priority: int,
) -> None:
    """Add a feed by URL (http(s):// or file:PATH); the daemon polls it from its next refresh."""
    from pathlib import Path

    from content_queue.sources import FeedSpec

    from ..config.feeds import (
        MIN_INTERVAL,
        check_feed_category,
        check_feed_name,
        check_feed_url,
        check_file_feed,
        default_feed_name,
        interval_too_long,
    )
    from ..durations import parse_duration
    from ..item_rules import check_category, known_categories

    try:
        stored_url = check_feed_url(url, Path.cwd())
        check_file_feed(stored_url, app.settings.intake.file_feeds_dir)
        feed_name = check_feed_name(name if name is not None else default_feed_name(stored_url))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        every = parse_duration(interval)
    except ValueError as exc:
        raise UsageError(f"--interval: {exc}") from None
    try:
        category = check_feed_category(category)
    except ValueError as exc:
        raise UsageError(f"--category: {exc}") from None
    category = check_category(category, known_categories(app.settings))  # as items' own
    if every < MIN_INTERVAL:
        raise UsageError(f"--interval {interval!r} is too short; at least 1s")
    too_long = interval_too_long(every, interval)
    if too_long is not None:
        raise UsageError(f"--interval {too_long}")
    known = app.settings.channel_names
    unknown = [c for c in channels if c not in known]
    if unknown:
        raise UsageError(
            f"unknown channel {', '.join(map(repr, unknown))}; "
            f"the channels are: {', '.join(known) or 'none'}"
        )
    feed = _store(app).add(
        FeedSpec(
            name=feed_name,
            url=stored_url,
            category=category,
            tags=[t.strip().lstrip("#") for t in tags if t.strip()],
            channels=list(dict.fromkeys(channels)),
            auto_approve=auto_approve,
            interval=every,
            include=[w for w in include if w.strip()],
            exclude=[w for w in exclude if w.strip()],
            initial=initial,
            priority=priority,
            managed_by="cli",
        )
    )
    targets = ", ".join(feed.channels) or "all channels"
    state = "approved" if feed.auto_approve else "drafts"
    echo(f"Added feed {feed.name}: {feed.url} -> {targets} ({state}).")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of feeds.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Each feed: where it comes from, its status, last poll, entries seen and last error."""
    from ..channel_status import feed_status

    rows = _store(app).list_feeds()
    if as_json:
        emit_json([f.as_dict() for f in rows])
        return
    if not rows:
        echo("No feeds. Add one with `xensocial feeds add URL` or [[feeds]] in the configuration.")
        return
    zone = app.settings.timezone
    echo(
        format_table(
            ("NAME", "FROM", "STATUS", "LAST POLL", "SEEN", "LAST ERROR", "URL"),
            [
                (
                    f.name,
                    f.managed_by,
                    trim(feed_status(f).state, 30),
                    local_time(f.last_polled_at, zone),
                    f.entries_seen,
                    trim(f.last_error or "-", 40),
                    trim(f.url, 60),
                )
                for f in rows
            ],
        )
    )


@feeds.command("remove")
@click.argument("name")
@pass_app
def remove(app: App, name: str) -> None:
    """Remove a feed added with `feeds add`; the items it queued stay in the queue."""
    store = _store(app)
    feed = store.get(name)
    if feed.managed_by == "config":
        raise UsageError(
            f"feed {name!r} is declared in {app.settings.source}; remove its [[feeds]] table there"
        )
    store.remove(name)
    echo(f"Removed feed {name} (its {feed.entries_seen} seen entries are forgotten).")


@feeds.command("poll")
@click.argument("name", required=False)
@click.option(
    "--now",
    is_flag=True,
    help="Poll even if not due (backing off, interval not passed, or disabled).",
)
@pass_app
def poll(app: App, name: str | None, now: bool) -> None:
    """Poll the feeds that are due (or NAME) once, and queue their new entries."""
    from ..intake.feeds import FEED_WORKERS, make_poller

    store = _store(app, polling=True)
    poller = make_poller(app.settings, store, clock=app.clock, logger=quiet_logger())
    if name is not None:
        feed = store.get(name)
        if not now and not poller.due(feed):
            why = feed.disabled_reason or "not due yet"
            echo(f"{name}: not polled ({why}); use --now to poll it anyway.")
            return
        chosen = [feed]
    else:
        every = store.list_feeds()
        chosen = [f for f in every if (now and not f.disabled) or poller.due(f)]
        if not chosen:
            echo(
                "No feed is due." if every else "No feeds. Add one with `xensocial feeds add URL`."
            )
            return
    with click.progressbar(length=len(chosen), label="Polling feeds", file=sys.stderr) as bar:
        outcomes = poller.poll_many(
            chosen, workers=FEED_WORKERS, on_done=lambda _outcome: bar.update(1)
        )
    for outcome in outcomes:
        echo(outcome.describe())
    if any(o.status == "error" for o in outcomes):
        raise click.exceptions.Exit(1)
