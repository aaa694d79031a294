"""Where an image lives in the data folder, from its SHA-256 and type: `media/ab/abcdef….png`.

Apart from `store` (which writes the files) so that rendering can name a post's images
without importing what writes files (and, through it, the configuration).
"""

from __future__ import annotations

__all__ = ["EXTENSIONS", "media_path"]

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def media_path(sha256: str, mime: str) -> str:
    """Where an image lives, relative to the data folder (what a `PostImage` carries)."""
    return f"media/{sha256[:2]}/{sha256}.{EXTENSIONS.get(mime, 'bin')}"
