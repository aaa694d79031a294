"""The media folder: image files kept by content address, `DATA_DIR/media/ab/abcdef….png`.

Named by the SHA-256 of their bytes, so the same image attached to two items is one file, a
file is never overwritten with other bytes, and the name in the database (`item_images.sha256`)
is a check on the file's contents. Files are private (0600, in 0700 folders: `filemodes`) like
every other file of the service, and written whole (`atomic_write`): a crash leaves no half
image under a real name.

A command stores its images only once every check has passed, in the same command as the
database rows that name them: refused input leaves no file behind. A file whose item is later
removed or whose image is replaced stays (it may be shared) until `media prune` removes the
files no record names any more (`prune`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..filemodes import atomic_write, private_dir
from .names import media_path

__all__ = ["MediaStore"]


class MediaStore:
    """The image files under `data_dir / "media"`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "media"

    def path(self, sha256: str, mime: str) -> Path:
        return self.data_dir / media_path(sha256, mime)

    def put(self, data: bytes, sha256: str, mime: str) -> Path:
        """Keep `data` (whose SHA-256 is `sha256`) and return its path; an image already kept
        is not written again, only marked used now (its modification time): `media prune`
        never removes a file used within its `--older-than`, so an old unused file taken up
        again by this add cannot be removed before the add commits the row that names it."""
        target = self.path(sha256, mime)
        try:
            if target.is_file() and target.stat().st_size == len(data):
                os.utime(target)
                return target
        except FileNotFoundError:  # `media prune` took it away just now: written again below
            pass
        private_dir(target.parent)
        with atomic_write(target, binary=True) as f:
            f.write(data)
        return target
