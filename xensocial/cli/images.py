"""`--image PATH --alt TEXT` on `queue add` and `queue edit`, and the `images`/`alts` columns of
`queue import`: each image read and checked from its bytes, paired with its alt text, and
stored in the media folder only once the whole command is known to succeed.

Why the order of the options matters: each `--alt` belongs to the `--image` before it, so
`--image a.png --alt "A" --image b.png --alt "B"` pairs A with a.png. click keeps each option's
values in order but not how two options interleave; `ImageCommand` reads that from click's own
parser (`make_parser`) before the command runs, so there is no second reading of the arguments.

The rules, one place each: a missing alt text is refused ("every image needs alt text"),
`--alt ""` marks a decorative image on purpose, at most `MAX_IMAGES`; the file checks are
`media.probe`'s, the per-channel ones `rendering.fit`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from content_queue.limits import MAX_IMAGES

from ..errors import UsageError

if TYPE_CHECKING:
    from content_queue.views import ItemImage

    from ..media.probe import ProbedImage
    from .app import App

__all__ = [
    "DECORATIVE",
    "ImageCommand",
    "LoadedImages",
    "csv_images",
    "describe",
    "image_options",
    "load_images",
    "paired",
]

F = TypeVar("F", bound=Callable[..., Any])
_ORDER = "xensocial.image_order"
NO_ALT = "every image needs alt text"
DECORATIVE = "[decorative]"  # a CSV `alts` entry for an image that needs none (`--alt ""`)


class ImageCommand(click.Command):
    """A command that remembers the order its `--image` and `--alt` options came in."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _, _, order = self.make_parser(ctx).parse_args(args=list(args))
        ctx.meta[_ORDER] = [p.name for p in order if p.name in ("images", "alts")]
        return super().parse_args(ctx, args)


def image_options(f: F) -> F:
    """`--image PATH` and `--alt TEXT`, repeatable, paired in order (see the module)."""
    f = click.option(
        "--alt",
        "alts",
        multiple=True,
        help='Alt text of the --image before it (required; --alt "" for a decorative image).',
    )(f)
    return click.option(
        "--image",
        "images",
        multiple=True,
        metavar="PATH",
        help=f"An image to post with the item (repeat, up to {MAX_IMAGES}), "
        "followed by its --alt.",
    )(f)


def paired(images: Sequence[str], alts: Sequence[str]) -> list[tuple[str, str | None]]:
    """Each image with the `--alt` that followed it (None: none did), in the order given;
    UsageError for an `--alt` with no `--image` before it, or two for one image."""
    order = click.get_current_context().meta.get(_ORDER) or [
        *(["images"] * len(images)),
        *(["alts"] * len(alts)),
    ]
    pairs: list[tuple[str, str | None]] = []
    it_images, it_alts = iter(images), iter(alts)
    for name in order:
        if name == "images":
            pairs.append((next(it_images), None))
        elif not pairs:
            raise UsageError("--alt goes after the --image it describes; no --image came before")
        elif pairs[-1][1] is not None:
            raise UsageError(f"two --alt for the image {pairs[-1][0]}; give one each")
        else:
            pairs[-1] = (pairs[-1][0], next(it_alts))
    return pairs


@dataclass(frozen=True)
class LoadedImages:
    """Images read and checked, not stored yet: what the queue keeps (`items`), and the bytes
    to store once the command has passed every check (`store`)."""

    items: tuple[ItemImage, ...]
    probed: tuple[ProbedImage, ...]

    def store(self, app: App) -> None:
        """Keep the files in the media folder (the last step of a command that succeeds)."""
        from ..media.store import MediaStore

        store = MediaStore(app.settings.data_dir)
        for p in self.probed:
            store.put(p.data, p.sha256, p.mime)


def load_images(pairs: Sequence[tuple[str, str | None]], base: Path | None = None) -> LoadedImages:
    """Read and check every image of `pairs` (paths relative to `base`, else the working
    folder); UsageError or ImageRefused (one line) for the first that cannot be used."""
    from content_queue.views import ItemImage

    from ..media.probe import probe_image

    if len(pairs) > MAX_IMAGES:
        raise UsageError(f"at most {MAX_IMAGES} images an item; {len(pairs)} were given")
    for path, alt in pairs:  # every alt text first: a refusal costs no file read
        if alt is None:
            raise UsageError(
                f'{NO_ALT} (no --alt after --image {path}; --alt "" marks it decorative)'
            )
    items: list[ItemImage] = []
    probed: list[ProbedImage] = []
    for path, alt in pairs:
        p = Path(path).expanduser()
        got = probe_image(p if base is None or p.is_absolute() else base / p)
        words = (alt or "").strip()
        items.append(
            ItemImage(
                sha256=got.sha256,
                mime=got.mime,
                width=got.width,
                height=got.height,
                bytes=got.size,
                alt=words,
                decorative=not words,
            )
        )
        probed.append(got)
    return LoadedImages(tuple(items), tuple(probed))


def describe(image: ItemImage, n: int) -> str:
    """One image as `queue show` and `preview` print it: `image 1: image/png 120×60, 2,345
    bytes, media/ab/ab12….png; alt: "…"` (the file's name is its address in the media folder)."""
    from ..media.names import media_path

    alt = "decorative (no alt text)" if image.decorative else f"alt: {image.alt!r}"
    return (
        f"image {n}: {image.mime} {image.width}×{image.height}, {image.bytes:,} bytes, "
        f"{media_path(image.sha256, image.mime)}; {alt}"
    )


def csv_images(images: str, alts: str) -> list[tuple[str, str | None]]:
    """The `images` and `alts` cells of a CSV row as (path, alt) pairs: both `;`-separated,
    paired by position; an image with no entry has no alt text (refused), an entry
    `[decorative]` marks a decorative image, more entries than images is refused."""
    paths = [p.strip() for p in images.split(";") if p.strip()]
    texts = [a.strip() for a in alts.split(";")] if alts.strip() else []
    if len(texts) > len(paths):
        raise UsageError(f"{len(texts)} alt texts for {len(paths)} images")
    return [
        (path, None if n >= len(texts) or not texts[n] else "" if texts[n] == DECORATIVE else texts[n])
        for n, path in enumerate(paths)
    ]
