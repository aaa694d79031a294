"""An image too large in bytes for a network, re-encoded down to its limit: never cropped.

Where a network's limit is on bytes (X 5 MB, Bluesky's 1,000,000, Facebook 4 MB), a larger
image is still postable: the upload step calls `shrink_to` with the network's `max_bytes` and
uploads what it returns. It is a JPEG (the format that trades quality for size best), first at
decreasing quality, then, if that is not enough, scaled down by a quarter at a time, keeping
the whole picture and its aspect ratio; transparency is flattened onto white. Only the first
frame of an animation is kept. `preview` says when an image will be re-encoded, and for which
channel, so nobody is surprised.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["Reencoded", "shrink_to"]

_QUALITIES = (90, 80, 70, 60, 50)
_MIN_SIDE = 64  # below this an image says nothing: give up rather than post a smudge


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    mime: str
    width: int
    height: int


def shrink_to(data: bytes, max_bytes: int) -> Reencoded:
    """`data` (an image the media store accepted) as at most `max_bytes` bytes.

    Returned as it is when it fits already. Raises ValueError when even a small JPEG of it
    does not fit (a limit of a few kilobytes)."""
    from PIL import Image

    with Image.open(BytesIO(data)) as original:
        if len(data) <= max_bytes:
            mime = Image.MIME.get(original.format or "", "application/octet-stream")
            return Reencoded(data, mime, original.width, original.height)
        original.seek(0)
        rgb = _flattened(original)
    while True:
        for quality in _QUALITIES:
            out = BytesIO()
            rgb.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return Reencoded(out.getvalue(), "image/jpeg", rgb.width, rgb.height)
        width, height = rgb.width * 3 // 4, rgb.height * 3 // 4
        if min(width, height) < _MIN_SIDE:
            raise ValueError(f"the image cannot be made smaller than {max_bytes:,} bytes")
        rgb = rgb.resize((width, height), Image.Resampling.LANCZOS)


def _flattened(image: Image.Image) -> Image.Image:
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
