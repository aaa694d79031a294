"""`--image PATH --alt TEXT` on `queue add` and `queue edit`, and the `images`/`alts` columns of
`queue import`: each image read and checked from its bytes, paired with its alt text, and
stored in the media folder only once the whole command is known to succeed.

Why the order of the options matters: each `--alt` belongs to the `--image` before it, so
`--image a.png --alt "A" --image b.png --alt "B"` pairs A with a.png. click keeps each option's
values in order but not how two options interleave; `ImageCommand` reads that from click's own
parser (`make_parser`) before the command runs, so there is no second reading of the arguments.

The rules are `media.attach`'s (alt text, decorative images, how many), the file checks
`media.probe`'s, the per-channel ones `rendering.fit`'s: this module only reads the options.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from content_queue.limits import MAX_IMAGES

from ..errors import UsageError

__all__ = ["ImageCommand", "image_options", "paired"]

F = TypeVar("F", bound=Callable[..., Any])
_ORDER = "xensocial.image_order"


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
        help=f"An image to post with the item (repeat, up to {MAX_IMAGES}), followed by its --alt.",
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
