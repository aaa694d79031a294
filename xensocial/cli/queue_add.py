"""`xensocial queue add`: one item, checked, then added (the command staff use most).

Kept apart from the other `queue` commands because it is the one whose speed matters at scale:
with 1,000 channels and 1,000,000 items it must answer in under 300 ms. It adds through
`App.writer`, which on a database at the scripts' head is `content_queue.fastwrite` (plain
DB-API, no SQLAlchemy, the same checks and rows as the queue's), and checks that the item fits
each target channel with each network's adapter class loaded once, not once per channel.
Every check runs before anything is written, so a refused command leaves the database as it was.
"""

from __future__ import annotations

from typing import Any

import click

from content_queue.limits import MAX_REPLIES

from ..item_rules import NO_WORDS, check_category, check_expiry, known_categories
from ..media.attach import load_images
from .app import App, pass_app
from .images import ImageCommand, image_options, paired
from .output import echo, emit_json, item_summary
from .params import PRIORITY
from .queue_editorial import editorial_options, editorial_summary, read_options

__all__ = ["add", "time_option"]

_NONE_WORDS = {"none", "never", "-"}


def time_option(app: App, value: str | None, option: str, *, clearable: bool = False) -> Any:
    """The instant `value` names, None when not given; "none" clears it when `clearable`."""
    from ..timeinput import parse_when

    if value is None:
        return None
    if clearable and value.strip().lower() in _NONE_WORDS:
        return "clear"
    return parse_when(value, zone=app.settings.timezone, now=app.clock(), option=option)


def _say_what_is_missing(app: App, item_id: int, unread: str, drafted: bool) -> None:
    """One stderr line when the item went in without the page's words: as a draft when it has
    none at all (`item_rules.wordless`), else approved without a title."""
    if drafted:
        app.warn(
            f"{unread or 'no title or text was given'}; item {item_id} was added as a draft "
            f"({NO_WORDS}). Give it words with `xensocial queue edit {item_id} --title ...`, "
            f"then `xensocial queue approve {item_id}`"
        )
    elif unread:
        app.warn(
            f"{unread}; item {item_id} was added without a title. Set one with "
            f"`xensocial queue edit {item_id} --title ...`"
        )


@click.command(cls=ImageCommand)
@click.argument("url")
@click.option(
    "--title",
    default="",
    help="Title (shown in the post). Without it, the page's own title is fetched.",
)
@click.option("--text", default="", help="Text of the post (the link is added to it).")
@click.option(
    "--category",
    help="news, resource, article, event, announcement (goes first), ... "
    "[default: news; event with --event-date]",
)
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for several); '#' is optional.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    help="Target channel (repeat; default: every configured channel).",
)
@click.option("--priority", type=PRIORITY, default=0, show_default=True, help="Higher goes first.")
@click.option(
    "--not-before", help="Do not post before this date/time (e.g. 2026-12-01 09:30, +2h)."
)
@click.option("--expires", help="Do not post after this date/time.")
@click.option("--draft", is_flag=True, help="Add as a draft, to approve later (`queue approve`).")
@click.option(
    "--allow-duplicate", is_flag=True, help="Add even if the URL is already queued or posted."
)
@editorial_options(editing=False)
@image_options
@click.option(
    "--reply",
    "replies",
    multiple=True,
    help=f"A follow-up text, posted as a reply to the post before it: a thread on X, Mastodon "
    f"and Bluesky (repeat, up to {MAX_REPLIES}; docs/threads.md).",
)
@click.option(
    "--link-in-reply",
    is_flag=True,
    help="Post the link in the first reply (first comment), not in the post; needs --reply.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new item as JSON.")
@pass_app
def add(
    app: App,
    url: str,
    title: str,
    text: str,
    category: str | None,
    tags: tuple[str, ...],
    channels: tuple[str, ...],
    priority: int,
    not_before: str | None,
    expires: str | None,
    draft: bool,
    allow_duplicate: bool,
    evergreen: bool | None,
    alt_text: str | None,
    at: str | None,
    event_date: str | None,
    images: tuple[str, ...],
    alts: tuple[str, ...],
    replies: tuple[str, ...],
    link_in_reply: bool,
    as_json: bool,
) -> None:
    """Add URL to the queue; prints the new item's id.

    Without --title, the page is fetched and its title (and, without --text, its description)
    are used; if that gives no words at all (the page cannot be read), the link is added as a
    draft, with a warning: the daemon never posts a bare link. The category must be a known one
    (the built-in ones and those the configuration names); an expiry must be ahead. An
    announcement goes first at each channel's next slot; --at pins the post to a time;
    --event-date adds reminders before the event (docs/editorial.md). Each --image needs
    an --alt after it (--alt "" for a purely decorative image); images a target channel's
    network cannot take are refused, naming the channel and the rule (docs/media.md).
    """
    from content_queue.urls import validate_url
    from content_queue.views import NewItem

    from ..adding import add_item, target_channels

    validate_url(url)  # first: the checks below render the link (urlsplit raised on some)
    targets = target_channels(app.settings, channels)
    loaded = load_images(paired(images, alts))  # read and checked, stored only at the end
    begins = time_option(app, not_before, "--not-before")
    ends = time_option(app, expires, "--expires")
    check_expiry(ends, app.clock(), app.settings.timezone)
    given = (evergreen, alt_text, at, event_date)
    ed = read_options(app, given, editing=False, not_before=begins, expires_at=ends)
    new = NewItem(
        url=url,
        channels=targets,
        title=title,
        text=text,
        category=check_category(
            category if category is not None else ("event" if ed.event_at else "news"),
            known_categories(app.settings),
        ),
        tags=tags,
        priority=priority,
        not_before=begins,
        expires_at=ends,
        draft=draft,
        created_by=app.user,
        source="manual",
        evergreen=ed.evergreen,
        alt_text=ed.alt_text,
        publish_at=ed.at,
        event_at=ed.event_at,
        images=loaded.items,
        replies=replies,
        link_in_reply=link_in_reply,
    )
    added = add_item(
        app.settings,
        app.writer,
        new,
        fetch_words=not title,
        allow_duplicate=allow_duplicate,
        say=lambda line: echo(line, err=True),
    )
    item = added.item
    loaded.store(app.settings.data_dir)  # after every check: refused input leaves no file behind
    _say_what_is_missing(app, item.id, added.unread, added.drafted)
    if as_json:
        emit_json(item.as_dict())
    else:
        echo(f"Added item {item_summary(item)}")
        for line in editorial_summary(app, item):
            echo(line)
