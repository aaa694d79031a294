"""One image file -> what it is, from its bytes alone: type, pixel size, byte size, SHA-256.

An image given to `queue add --image` (or named in a CSV file) is untrusted input: its name
may lie (a text file called `.png`), it may be cut short (a truncated download), it may be a
decompression bomb (a few kilobytes that decode to billions of pixels), or a type no network
takes (SVG, which Pillow does not read, and which can carry scripts). Each is refused here
with one line naming the file, before anything is stored: the command stops with exit 2 and
the data folder and the database are as they were.

The pixel guard is checked on the header's size before a single pixel is decoded, and Pillow's
own bomb check is turned into a refusal too; then the whole image is decoded once (`load`),
which is what finds a truncated or corrupt file.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput

__all__ = [
    "ACCEPTED",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "ImageRefused",
    "ProbedImage",
    "probe_bytes",
    "probe_image",
]

MAX_FILE_BYTES = 50 * 1024 * 1024  # far beyond any network's limit (Mastodon's default: 16 MiB)
# 40 megapixels: more than every network takes (LinkedIn's limit is 36,152,320 pixels,
# Mastodon's default 33,177,600); a larger image is a mistake or a bomb.
MAX_PIXELS = 40_000_000
# Pillow's format name -> MIME type, for the formats every network here takes some of.
ACCEPTED = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


class ImageRefused(BadInput):
    """An image file cannot be used: missing, not an image, damaged, too large, a type no
    network takes. The message names the file and the reason, on one line."""


@dataclass(frozen=True)
class ProbedImage:
    """An image file read and checked: its bytes, and what they are."""

    data: bytes
    sha256: str
    mime: str
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.data)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImageRefused(f"image {path}: no such file") from None
    except IsADirectoryError:
        raise ImageRefused(f"image {path}: is a folder, not a file") from None
    except OSError as exc:
        raise ImageRefused(f"image {path}: cannot be read ({exc.strerror})") from None
    return data


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in data[:4096].lower()


def probe_image(path: Path) -> ProbedImage:
    """Read `path` and say what image it is; ImageRefused (one line) when it cannot be used."""
    return probe_bytes(_read(path), str(path))


def probe_bytes(data: bytes, path: str) -> ProbedImage:
    """Say what image `data` is (a file's bytes, or an upload's: the console's forms), named
    `path` in the refusal; ImageRefused (one line) when it cannot be used. Only the bytes
    decide: no name or declared type is believed."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_FILE_BYTES:
        raise ImageRefused(f"image {path}: larger than {MAX_FILE_BYTES:,} bytes")
    if not data:
        raise ImageRefused(f"image {path}: the file is empty")
    if _looks_like_svg(data):
        raise ImageRefused(
            f"image {path}: SVG is not accepted (no network posts it); export it as PNG"
        )
    names = ", ".join(sorted(ACCEPTED))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=None)
        except UnidentifiedImageError:
            raise ImageRefused(f"image {path}: not an image ({names} are accepted)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(f"image {path}: more than {MAX_PIXELS:,} pixels") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageRefused(f"image {path}: damaged ({exc})") from None
        with image:
            mime = ACCEPTED.get(image.format or "")
            if mime is None:
                raise ImageRefused(
                    f"image {path}: its type is {image.format or 'unknown'}; {names} are accepted"
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRefused(
                    f"image {path}: {width}×{height} is {width * height:,} pixels, "
                    f"more than {MAX_PIXELS:,}"
                )
            try:
                image.load()  # decodes every pixel: a truncated or corrupt file fails here
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise ImageRefused(f"image {path}: more than {MAX_PIXELS:,} pixels") from None
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise ImageRefused(f"image {path}: damaged or truncated ({exc})") from None
    if min(width, height) < 1:
        raise ImageRefused(f"image {path}: has no pixels")
    return ProbedImage(data, hashlib.sha256(data).hexdigest(), mime, width, height)
