"""How the CLI writes results: JSON for programs, short sentences and tables for people.

Times are shown to people in the configuration's zone (with the zone's abbreviation) and given
to programs in ISO 8601 UTC, so neither has to guess.

Everything a command prints goes through `echo` (or `emit_json`): stored and fetched text may
hold terminal escape sequences and bidi overrides (from before they were removed at input, or
quoted in an error), and both show them as escapes (`content_queue.plaintext.visible`), so no
value can retitle, clear or write the clipboard of a staff member's terminal. A test keeps
`click.echo` out of the command modules.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from content_queue.plaintext import json_visible, visible

from ..timeinput import local_time

if TYPE_CHECKING:
    from content_queue import ItemView

__all__ = ["echo", "emit_json", "item_summary", "local_time", "unchanged"]


def echo(message: object = None, *, err: bool = False, nl: bool = True) -> None:
    """`click.echo`, with every control, C1 and bidi character of `message` shown escaped."""
    click.echo(None if message is None else visible(str(message)), err=err, nl=nl)


def emit_json(value: Any) -> None:
    click.echo(json_visible(json.dumps(value, indent=2, ensure_ascii=False, default=str)))


def item_summary(item: ItemView) -> str:
    """`12: <title> -> demo, mastodon (approved)`: the item as one line of a sentence."""
    channels = ", ".join(d.channel for d in item.deliveries) or "no channel"
    title = item.title or item.url
    return f"{item.id}: {title} -> {channels} ({item.state})"


def unchanged(subject: str, why: str) -> None:
    """Say that a command found nothing to change, and changed nothing (`content_queue.changes`):
    `Item 3 was already cancelled; nothing changed.` One wording for every such command."""
    echo(f"{subject} {why}; nothing changed.")


def quiet_logger() -> Any:
    """Errors only, on stderr: the command prints its own summary (a line per feed or channel). A logger of its
    own, so the process-wide logging set-up is left alone."""
    import logging

    import structlog

    from ..logs import redact

    return structlog.wrap_logger(
        structlog.PrintLogger(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            redact,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
    )
