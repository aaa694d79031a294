"""Importing a CSV file of items: what each row becomes, for `queue import` and the console.

`content_queue.csvimport` reads the file; this module decides what each row becomes, by the
rules every way in shares (`item_rules`: a known category; no words makes a draft) and the fit
on every channel it targets, with a thread's replies (the `replies` and `link_in_reply`
columns, docs/threads.md) (`rendering`), and hands the rows to the queue in one transaction.
A file with bad rows imports nothing unless `skip_bad` (and a file with no good row at all is
always refused, `ImportFailed`). A row's images (the `images` and `alts` cells) are read from
files beside the CSV file, as `queue add --image` reads them, and stored once the rows are
added; the console passes no folder (an uploaded file may not name files on the server), so a
row naming images is refused there. The callers say the outcome their own way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from content_queue.errors import RowError
    from content_queue.queue import ContentQueue, ImportResult
    from content_queue.views import ItemView, NewItem

    from .config import Settings
    from .media.probe import ProbedImage

__all__ = ["Imported", "import_csv"]


@dataclass(frozen=True)
class Imported:
    """What an import did: the queue's result, the refused rows by line, and the lines added
    as drafts for having no words."""

    result: ImportResult
    refused: list[RowError]
    no_words: set[int]

    @property
    def drafted(self) -> list[int]:
        return [n for n, _ in self.result.added if n in self.no_words]


def _checked_rows(
    settings: Settings,
    rows: Iterable[tuple[int, NewItem] | RowError],
    *,
    draft: bool,
    no_words: set[int],
    folder: Path | None,
    images: dict[str, ProbedImage],
) -> Iterator[tuple[int, NewItem] | RowError]:
    """The rows as read, one at a time: a row whose category is not a known one (`item_rules`)
    made a RowError, the others with their category as known, and as a draft when `draft` or
    when it has neither title nor text (the daemon never posts a bare link; its line is added to
    `no_words`). A row's images (paths relative to `folder`) are read and checked as
    `queue add --image` reads them, and kept in `images` to store once the import is done; a
    bad one (or any, without a `folder`) makes the row a RowError. Whether an item fits its
    channels is `_unfit`'s, asked of new rows only."""
    from dataclasses import replace

    from content_queue.errors import InvalidItem, RowError

    from .errors import BadInput
    from .item_rules import check_category, known_categories, wordless
    from .media.attach import read_row_images

    known = known_categories(settings)
    for entry in rows:
        if isinstance(entry, RowError):
            yield entry
            continue
        line, new = entry
        if new.unread_images is not None and folder is None:
            yield RowError(
                line, "images cannot be named in an uploaded file; add them with the CLI"
            )
            continue
        try:
            if folder is not None:
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


def _unfit(settings: Settings) -> Callable[[NewItem], str | None]:
    """Why a row's item does not fit every channel it targets, or None: asked of each row
    about to be added (not of a duplicate, which nothing renders)."""
    from content_queue.newitems import plain_item

    from .rendering import ImageDoesNotFit, TextTooLong, check_fits_channels, check_replies_fit

    def problem(new: NewItem) -> str | None:
        try:
            # The post (without its link when the first reply has it), then each reply.
            check_fits_channels(
                settings, new, new.channels, images=new.images, link=not new.link_in_reply
            )
            link = new.url if new.link_in_reply else ""
            check_replies_fit(settings, plain_item(new).replies, new.channels, link=link)
        except (TextTooLong, ImageDoesNotFit) as exc:
            return str(exc)
        return None

    return problem


def import_csv(
    settings: Settings,
    queue: ContentQueue,
    file: Path,
    *,
    by: str,
    draft: bool,
    skip_bad: bool,
    allow_duplicate: bool,
    name: str | None = None,
    image_folder: Path | None = None,
) -> Imported:
    """Import `file` (read as it is added: one batch of rows in memory at a time); `name` is
    how messages call it (an uploaded file's own name; default its path); `image_folder` where
    the files its rows name are (None: a row naming an image is refused)."""
    from content_queue.csvimport import iter_csv
    from content_queue.errors import ImportFailed

    names = settings.channel_names
    rows = iter_csv(
        file,
        default_channels=names,
        known_channels=names,
        created_by=by,
        timezone=settings.timezone,
        limits=settings.imports,
    )
    no_words: set[int] = set()
    images: dict[str, ProbedImage] = {}
    result = queue.add_many(
        _checked_rows(
            settings, rows, draft=draft, no_words=no_words, folder=image_folder, images=images
        ),
        skip_bad=skip_bad,
        allow_duplicate=allow_duplicate,
        path=name or str(file),
        admit=_unfit(settings),
    )
    refused = sorted(result.refused, key=lambda e: e.line)
    if refused and not result.added and not result.duplicates:
        raise ImportFailed(name or str(file), refused)  # nothing was written: no row was good
    _store_added_images(settings, result.added, images)
    return Imported(result, refused, no_words)


def _store_added_images(
    settings: Settings, added: Iterable[tuple[int, ItemView]], images: dict[str, ProbedImage]
) -> None:
    """Keep the files of the images of the rows added (not of refused or duplicate rows)."""
    from .media.attach import store_images_of

    for _, item in added:
        store_images_of(item, images, settings.data_dir)
