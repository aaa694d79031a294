"""How an image is said to staff: one line, the same in `queue show`, `preview` and the console.

Apart from the CLI so that the console's item page and per-network preview print an image
exactly as `xensocial preview` does, from one function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .names import media_path

if TYPE_CHECKING:
    from content_queue.views import ItemImage

__all__ = ["describe", "preview_lines"]


def describe(image: ItemImage, n: int) -> str:
    """One image as `queue show` and `preview` print it: `image 1: image/png 120×60, 2,345
    bytes, media/ab/ab12….png; alt: "…"` (the file's name is its address in the media folder)."""
    alt = "decorative (no alt text)" if image.decorative else f"alt: {image.alt!r}"
    return (
        f"image {n}: {image.mime} {image.width}×{image.height}, {image.bytes:,} bytes, "
        f"{media_path(image.sha256, image.mime)}; {alt}"
    )


def preview_lines(images: Sequence[ItemImage], row: Mapping[str, Any]) -> list[str]:
    """Each of `images` on one channel, as `preview` prints it: the image, then what that
    channel's upload does with it (`row`: what `rendering.preview_post` returned for it)."""
    return [
        f"{describe(image, n)}; {'; '.join(seen['notes'])}"
        for n, (image, seen) in enumerate(zip(images, row["images"], strict=True), 1)
    ]
