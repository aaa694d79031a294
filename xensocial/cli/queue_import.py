"""`xensocial queue import FILE`: the items of a CSV file, added in one transaction.

Kept apart from the other `queue` commands because an import is rows, not one item: the file is
read as it is added (one batch in memory at a time), each row is checked by the rules every way
in shares (`item_rules`) and for fit, bad rows are reported by line, and rows with no words
become drafts; `content_queue.csvimport` reads the file, `xensocial.importing` decides what
each row becomes (for the web console too), and this module says what was done.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..item_rules import NO_WORDS
from .app import App, pass_app
from .output import echo, emit_json

__all__ = ["import_"]


@click.command("import")
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

    Optional columns images and alts: image files (relative to the CSV file's folder) and
    their alt texts, each ';'-separated and paired in order; an alt text [decorative] marks
    an image that needs none. Tags and channels are separated by ';'; empty channels means
    every channel; not_before without an offset is in the configuration's time zone; a
    category must be a known one. If any row is bad nothing is imported, unless --skip-bad (a
    file with no good row at all is always refused). Duplicates are skipped and reported. A row
    with neither title nor text is imported as a draft (the daemon never posts a bare link),
    and so is every row with --draft.
    """
    from ..importing import import_csv

    done = import_csv(
        app.settings,
        app.queue,
        file,
        by=app.user,
        draft=draft,
        image_folder=file.parent,
        skip_bad=skip_bad,
        allow_duplicate=allow_duplicate,
    )
    result, refused = done.result, done.refused
    if as_json:
        emit_json(
            {
                "added": [{"line": line, "item": item.as_dict()} for line, item in result.added],
                "duplicates": [
                    {"line": line, "url": dup.url, "existing_id": dup.existing_id}
                    for line, dup in result.duplicates
                ],
                "refused": [{"line": e.line, "message": e.message} for e in refused],
                "drafts_without_words": done.drafted,
            }
        )
        return
    ids = ", ".join(str(item.id) for _, item in result.added)
    echo(f"Added {len(result.added)} item(s) from {file}" + (f": {ids}" if ids else ""))
    if result.duplicates:
        echo(f"Skipped {len(result.duplicates)} duplicate(s):")
        for line, dup in result.duplicates:
            echo(f"  line {line}: {dup.url} is item {dup.existing_id} ({dup.existing_state})")
    drafted = [str(n) for n in done.drafted]
    if drafted:
        echo(
            f"Added {len(drafted)} row(s) as drafts ({NO_WORDS}): line(s) {', '.join(drafted)}; "
            "give them words with `xensocial queue edit ID --title ...`, then approve them."
        )
    if refused:
        echo(f"Refused {len(refused)} row(s):")
        for error in refused:
            echo(f"  {error}")
