"""Where an image lives in the data folder, from its SHA-256 and type: `media/ab/abcdef….png`.

Apart from `store` (which writes the files) so that rendering can name a post's images
without importing what writes files (and, through it, the configuration).
"""

from __future__ import annotations

__all__ = ["EXTENSIONS", "media_path", "stored_sha256"]

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def media_path(sha256: str, mime: str) -> str:
    """Where an image lives, relative to the data folder (what a `PostImage` carries)."""
    return f"media/{sha256[:2]}/{sha256}.{EXTENSIONS.get(mime, 'bin')}"


_MIME_OF = {extension: mime for mime, extension in EXTENSIONS.items()}
_HEX = frozenset("0123456789abcdef")


def stored_sha256(folder: str, name: str) -> str | None:
    """The SHA-256 of the image a file `name` in `media/<folder>/` holds, when `media_path`
    gives exactly that path; None for any other name (a temporary file of a write still under
    way, something put there by hand), which `media prune` leaves alone."""
    sha256, _, extension = name.partition(".")
    if len(sha256) != 64 or not _HEX.issuperset(sha256):
        return None
    if media_path(sha256, _MIME_OF.get(extension, "")) != f"media/{folder}/{name}":
        return None
    return sha256
