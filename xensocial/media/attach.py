"""An item's images from what staff gave (`--image PATH --alt TEXT`, or a CSV row's `images`
and `alts` cells): each file read and checked (`probe`), paired with its alt text, ready to add
(`ItemImage`) and to store once the command or import has passed every check. The console's
add and edit forms send their images' bytes (`load_uploads`): the same rules, the same words.

The rules, one place each, for the CLI, the console and the daemon's `import_at_start` alike:
a missing alt text is refused ("every image needs alt text"), an empty one given on purpose
(`--alt ""`, a CSV `[decorative]`, the console's "decorative" box) marks a decorative image,
at most `MAX_IMAGES` an item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from content_queue.limits import MAX_IMAGES

from ..errors import UsageError

if TYPE_CHECKING:
    from content_queue.views import ItemImage, ItemView, NewItem

    from .probe import ProbedImage

__all__ = [
    "DECORATIVE",
    "LoadedImages",
    "csv_images",
    "load_images",
    "load_uploads",
    "read_row_images",
    "store_images_of",
]

DECORATIVE = "[decorative]"  # a CSV `alts` entry for an image that needs none (`--alt ""`)


@dataclass(frozen=True)
class LoadedImages:
    """Images read and checked, not stored yet: what the queue keeps (`items`), and the bytes
    to store once the command has passed every check (`store`)."""

    items: tuple[ItemImage, ...]
    probed: tuple[ProbedImage, ...]

    def store(self, data_dir: Path) -> None:
        """Keep the files in the media folder (the last step of a command that succeeds)."""
        from .store import MediaStore

        store = MediaStore(data_dir)
        for p in self.probed:
            store.put(p.data, p.sha256, p.mime)


def load_images(pairs: Sequence[tuple[str, str | None]], base: Path | None = None) -> LoadedImages:
    """Read and check every image of `pairs` (paths relative to `base`, else the working
    folder); UsageError or ImageRefused (one line) for the first that cannot be used."""
    from .probe import probe_image

    def probe(path: str) -> ProbedImage:
        p = Path(path).expanduser()
        return probe_image(p if base is None or p.is_absolute() else base / p)

    return _checked(
        pairs, probe, lambda path: f'no --alt after --image {path}; --alt "" marks it decorative'
    )


def load_uploads(uploads: Sequence[tuple[str, bytes, str | None]]) -> LoadedImages:
    """Check every image sent with a console form: (how to name it in a refusal, its bytes,
    its alt text: "" for a decorative image, None when none was given), by the rules and
    with the words of `load_images`; UsageError or ImageRefused (one line) for the first
    that cannot be used."""
    from .probe import probe_bytes

    data = {name: body for name, body, _ in uploads}
    return _checked(
        [(name, alt) for name, _, alt in uploads],
        lambda name: probe_bytes(data[name], name),
        lambda name: f'image {name} has none; tick "decorative" for an image that needs none',
    )


def _checked(
    given: Sequence[tuple[str, str | None]],
    probe: Callable[[str], ProbedImage],
    where_alt_goes: Callable[[str], str],
) -> LoadedImages:
    """The rules of every way images come in (the module's), each image read by `probe`;
    `where_alt_goes` says, in the words of that way in, how an image's alt text is given."""
    from content_queue.newitems import NO_ALT  # the queue's own words for the same rule
    from content_queue.views import ItemImage

    if len(given) > MAX_IMAGES:
        raise UsageError(f"at most {MAX_IMAGES} images an item; {len(given)} were given")
    for name, alt in given:  # every alt text first: a refusal costs no file read
        if alt is None:
            raise UsageError(f"{NO_ALT} ({where_alt_goes(name)})")
    items: list[ItemImage] = []
    probed: list[ProbedImage] = []
    for name, alt in given:
        got = probe(name)
        words = (alt or "").strip()
        # An alt text given empty on purpose (`--alt ""`) marks a decorative image.
        sizes = (got.width, got.height, got.size)
        items.append(ItemImage(got.sha256, got.mime, *sizes, alt=words, decorative=not words))
        probed.append(got)
    return LoadedImages(tuple(items), tuple(probed))


def csv_images(images: str, alts: str) -> list[tuple[str, str | None]]:
    """The `images` and `alts` cells of a CSV row as (path, alt) pairs: both `;`-separated,
    paired by position; an image with no entry has no alt text (refused), an entry
    `[decorative]` marks a decorative image, more entries than images is refused."""
    paths = [p.strip() for p in images.split(";") if p.strip()]
    texts = [a.strip() for a in alts.split(";")] if alts.strip() else []
    if len(texts) > len(paths):
        raise UsageError(f"{len(texts)} alt texts for {len(paths)} images")
    return [
        (
            path,
            None if n >= len(texts) or not texts[n] else "" if texts[n] == DECORATIVE else texts[n],
        )
        for n, path in enumerate(paths)
    ]


def read_row_images(new: NewItem, folder: Path, keep: dict[str, ProbedImage]) -> NewItem:
    """`new` (a CSV row) with the images its cells name read (paths relative to `folder`),
    their bytes kept in `keep` by SHA-256 until the row is added; BadInput (one line) for the
    first that cannot be used. A row naming no image is returned as it is."""
    if new.unread_images is None:
        return new
    loaded = load_images(csv_images(*new.unread_images), base=folder)
    keep.update((p.sha256, p) for p in loaded.probed)
    return replace(new, images=loaded.items, unread_images=None)


def store_images_of(item: ItemView, keep: dict[str, ProbedImage], data_dir: Path) -> None:
    """Store the files of `item`'s images from `keep` (once the item is added)."""
    from .store import MediaStore

    store = MediaStore(data_dir)
    for image in item.images:
        probed = keep[image.sha256]
        store.put(probed.data, probed.sha256, probed.mime)
