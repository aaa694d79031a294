"""`xensocial queue import FILE`: the items of a CSV file, added in one transaction.

Kept apart from the other `queue` commands because an import is rows, not one item: the file is
read as it is added (one batch in memory at a time), each row is checked by the rules every way
in shares (`item_rules`) and for fit, bad rows are reported by line, and rows with no words
become drafts; `content_queue.csvimport` reads the file, this module decides what each row
becomes and says what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..item_rules import NO_WORDS
from .app import App, pass_app
from .output import echo, emit_json

if TYPE_CHECKING:
    from content_queue.errors import RowError
    from content_queue.views import ItemView, NewItem

    from ..media.probe import ProbedImage

__all__ = ["import_"]


def _checked_rows(
    app: App,
    rows: Iterable[tuple[int, NewItem] | RowError],
    *,
    draft: bool,
    no_words: set[int],
    folder: Path,
    images: dict[str, ProbedImage],
) -> Iterator[tuple[int, NewItem] | RowError]:
    """The rows as read, one at a time: a row whose category is not a known one (`item_rules`)
    made a RowError, the others with their category as known, and as a draft when `draft` or
    when it has neither title nor text (the daemon never posts a bare link; its line is added to
    `no_words`). A row's images (paths relative to the file's `folder`) are read and checked
    as `queue add --image` reads them, and kept in `images` to store once the import is done;
    a bad one makes the row a RowError. Whether an item fits its channels is `_unfit`'s,
    asked of new rows only."""
    from dataclasses import replace

    from content_queue.errors import InvalidItem, RowError

    from ..errors import BadInput
    from ..item_rules import check_category, known_categories, wordless
    from ..media.attach import read_row_images

    known = known_categories(app.settings)
    for entry in rows:
        if isinstance(entry, RowError):
            yield entry
            continue
        line, new = entry
        try:
            new = read_row_images(new, folder, images)
        except BadInput as exc:
            yield RowError(line, str(exc))
            continue
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
    from content_queue.newitems import plain_item

    from ..rendering import ImageDoesNotFit, TextTooLong, check_fits_channels, check_replies_fit

    def problem(new: NewItem) -> str | None:
        try:
            check_fits_channels(
                app.settings, new, new.channels, images=new.images, link=not new.link_in_reply
            )
            link = new.url if new.link_in_reply else ""
            check_replies_fit(app.settings, plain_item(new).replies, new.channels, link=link)
        except (TextTooLong, ImageDoesNotFit) as exc:
            return str(exc)
        return None

    return problem


def _store_added_images(
    app: App, added: Iterable[tuple[int, ItemView]], images: dict[str, ProbedImage]
) -> None:
    """Keep the files of the images of the rows added (not of refused or duplicate rows)."""
    from ..media.attach import store_images_of

    for _, item in added:
        store_images_of(item, images, app.settings.data_dir)


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
    images: dict[str, ProbedImage] = {}
    result = app.queue.add_many(
        _checked_rows(
            app, rows, draft=draft, no_words=no_words, folder=file.parent, images=images
        ),
        skip_bad=skip_bad,
        allow_duplicate=allow_duplicate,
        path=str(file),
        admit=_unfit(app),
    )
    refused = sorted(result.refused, key=lambda e: e.line)
    if refused and not result.added and not result.duplicates:
        raise ImportFailed(str(file), refused)  # nothing was written: no row was good
    _store_added_images(app, result.added, images)
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
