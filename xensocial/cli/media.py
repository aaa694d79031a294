"""`xensocial media ...`: the image files of items in the data folder (docs/media.md).

The command reads the options, asks the queue which images its records name and says what
`media.prune` did; the rules (what is removed, what is kept and why) are that module's.
"""

from __future__ import annotations

import click

from ..errors import UsageError
from .app import App, pass_app
from .output import echo

__all__ = ["media"]


@click.group()
def media() -> None:
    """The image files of items in the data folder: remove those no item uses any more."""


@media.command("prune")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@click.option(
    "--older-than",
    default="1d",
    show_default=True,
    metavar="DURATION",
    help="Only files last modified longer ago than this (12h, 2d, 1w): a younger one may "
    "belong to an add still under way.",
)
@pass_app
def prune(app: App, dry_run: bool, older_than: str) -> None:
    """Remove the image files no item, upload or post record names any more.

    Only files in DATA_DIR/media named as a stored image is, and last modified longer ago
    than --older-than; anything else there is left alone. Prints what was removed and the
    bytes freed, and how many files were kept and why."""
    from content_queue.image_refs import referenced_images

    from ..durations import format_duration, parse_duration
    from ..media.prune import prune_media

    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    with app.sessions() as s:
        referenced = referenced_images(s)
    done = prune_media(
        app.settings.data_dir, referenced, older_than=age, now=app.clock(), dry_run=dry_run
    )
    if dry_run:
        for path in done.removed:
            echo(f"would remove {path}")
    verb = "Would remove" if dry_run else "Removed"
    echo(f"{verb} {_files(len(done.removed))}: {done.freed:,} bytes.")
    echo(
        f"Kept {_files(done.in_use)} in use, {_files(done.young)} younger than {format_duration(age)}."
    )
    if done.left_alone:
        echo(f"Left alone {_files(done.left_alone)} not named as a stored image is.")


def _files(n: int) -> str:
    return f"{n:,} file" + ("" if n == 1 else "s")
