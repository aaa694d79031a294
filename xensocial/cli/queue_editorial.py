"""The editorial options of `queue add` and `queue edit`: evergreen, alternate text, a pinned
time, an event date. Kept apart from `queue.py` because they read as one idea: how staff steer
what goes out, beyond the item's own words (docs/editorial.md).

The options are read and checked by `xensocial.editorial_input` (the web console's forms call
it too): a pinned time must be in the future, never before the embargo (`--not-before`), and
before the item expires and its event; an event must be in the future.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .output import local_time

if TYPE_CHECKING:
    from datetime import datetime

    from content_queue.views import ItemView

    from ..editorial_input import EditorialInput
    from .app import App

__all__ = ["editorial_lines", "editorial_options", "editorial_summary", "read_options"]

F = TypeVar("F", bound=Callable[..., Any])


def read_options(
    app: App,
    options: tuple[bool | None, str | None, str | None, str | None],
    *,
    editing: bool,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> EditorialInput:
    """The four options' values (`options`: evergreen, alt text, at, event date, as
    `editorial_options` passes them) read and checked at the app's clock
    (`editorial_input.read_editorial`)."""
    from ..editorial_input import read_editorial

    evergreen, alt_text, at, event_date = options
    return read_editorial(
        app.settings,
        app.clock(),
        evergreen=evergreen,
        alt_text=alt_text,
        at=at,
        event_date=event_date,
        editing=editing,
        not_before=not_before,
        expires_at=expires_at,
    )


def editorial_options(*, editing: bool) -> Callable[[F], F]:
    """The four options, for `queue add` (`editing` False) or `queue edit` (where 'none' clears
    the pinned time or the event, and '' the alternate text)."""
    clears = " ('none' clears it)" if editing else ""

    def decorate(f: F) -> F:
        for option in reversed(
            [
                click.option(
                    "--evergreen/--no-evergreen",
                    default=None,
                    help="Post it again later, after [editorial] recycle_after"
                    + (
                        "."
                        if editing
                        else "; default: yes when its category is in evergreen_categories."
                    ),
                ),
                click.option(
                    "--alt-text",
                    help="Other words for when it is posted again (evergreen)"
                    + (" ('' clears them)." if editing else "."),
                ),
                click.option(
                    "--at",
                    "at",
                    help="Pin it: post at exactly this date/time on each of its channels, even "
                    f"outside their slots (e.g. 2026-12-01 09:00, +2h){clears}.",
                ),
                click.option(
                    "--event-date",
                    help="The date (and time) of the event it announces: reminders before it, "
                    f"nothing about it from then on (e.g. 2026-12-10 or 2026-12-10 18:00){clears}.",
                ),
            ]
        ):
            f = option(f)
        return f

    return decorate


def editorial_summary(app: App, item: ItemView) -> list[str]:
    """Sentences saying what the editorial fields of `item` will do (after `queue add`)."""
    from content_queue.events import describe_offset

    zone, ed = app.settings.timezone, app.settings.editorial
    out = []
    if item.publish_at is not None:
        out.append(
            f"Pinned: posted at {local_time(item.publish_at, zone)} on each of its channels."
        )
    if item.event_at is not None:
        offsets = " and ".join(describe_offset(o) for o in ed.event_reminders)
        reminders = f"reminders {offsets} before it" if offsets else "no reminders"
        out.append(
            f"Event on {local_time(item.event_at, zone)}: {reminders}; nothing about it after."
        )
    if item.evergreen:
        if ed.fill_with_evergreen:
            out.append(
                f"Evergreen: posted again {describe_offset(ed.recycle_after)} after it goes "
                f"out, at most {ed.max_repeats} time(s) per channel"
                + (", in its alternate text." if item.alt_text else ".")
            )
        else:
            out.append("Evergreen, but [editorial] fill_with_evergreen is false: not reposted.")
    return out


def editorial_lines(item: ItemView, zone: str) -> list[tuple[str, str]]:
    """`queue show`'s lines for the editorial fields that are set."""
    lines = []
    if item.evergreen:
        lines.append(("Evergreen", "yes"))
    if item.alt_text:
        lines.append(("Alt text", item.alt_text))
    if item.publish_at is not None:
        lines.append(("Pinned at", local_time(item.publish_at, zone)))
    if item.event_at is not None:
        lines.append(("Event", local_time(item.event_at, zone)))
    if item.recycled_from is not None:
        lines.append(("Repeat of", f"item {item.recycled_from} (evergreen)"))
    if item.reminder_of is not None:
        lines.append(("Reminds of", f"item {item.reminder_of}"))
    return lines
