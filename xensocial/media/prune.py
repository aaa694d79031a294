"""Removing the image files no record names any more (`xensocial media prune`).

An image replaced or removed on an item (`queue edit --image/--no-images`, the console's edit
form), or whose item is gone, leaves its file in the media folder (`store`). A file is removed
only when every one of these holds, each for a reason:

- No record names it (`content_queue.image_refs.referenced_images`: an item's image, an upload
  a retry may reuse, the record of a post), read in one statement *before* the folder is read.
- It was last modified longer ago than `older_than` (a day unless told). An add stores its
  files before the transaction that names them commits (so that a failed command leaves no
  row naming a missing file), so a young file no row names yet may be about to be named; and
  `MediaStore.put` marks an old file it takes up again as used now, for the same reason.
- Its name is one `media_path` gives (`names.stored_sha256`) and it is a regular file two
  levels down, `media/ab/ab….png`. Anything else (a temporary file of a write under way, a
  symbolic link, a folder, something put there by hand) is left alone, and counted: the prune
  never follows a link nor touches anything outside the media folder.
- It is still old once renamed aside (`.NAME.pruning`, in its own folder) and only then removed:
  an add that took the file up again between the first look and the rename has touched it, and
  gets it back; one that comes after the rename finds no file and writes it anew. A crash
  between the rename and the removal leaves the `.pruning` file, left alone like any other name.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .names import stored_sha256

__all__ = ["Pruned", "prune_media"]


@dataclass
class Pruned:
    """What a prune did (or, with `dry_run`, would do): the files removed (paths relative to
    the data folder) and their bytes, and how many it kept in use, kept for being younger than
    the age, and left alone for not being named as a stored image is."""

    removed: list[str] = field(default_factory=list)
    freed: int = 0
    in_use: int = 0
    young: int = 0
    left_alone: int = 0


def prune_media(
    data_dir: Path,
    referenced: Collection[str],
    *,
    older_than: timedelta,
    now: datetime,
    dry_run: bool,
) -> Pruned:
    """Remove the files of `data_dir / "media"` whose SHA-256 is not in `referenced` and that
    were last modified before `now - older_than` (the rules: the module's). `dry_run` removes
    nothing and answers what it would remove."""
    try:
        cutoff = (now - older_than).timestamp()
    except OverflowError:  # an age reaching before the year 1: no file is that old
        cutoff = -math.inf
    done = Pruned()
    root = data_dir / "media"
    if not root.is_dir():
        return done
    with os.scandir(root) as folders:
        found = sorted(folders, key=lambda e: e.name)
    for folder in found:
        if not folder.is_dir(follow_symlinks=False):
            done.left_alone += 1
            continue
        with os.scandir(folder.path) as files:
            entries = sorted(files, key=lambda e: e.name)
        for entry in entries:
            sha256 = stored_sha256(folder.name, entry.name)
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # a temporary file renamed into place meanwhile
                continue
            if sha256 is None or not stat.S_ISREG(info.st_mode):
                done.left_alone += 1
            elif sha256 in referenced:
                done.in_use += 1
            elif info.st_mtime >= cutoff:
                done.young += 1
            else:
                gone = True if dry_run else _remove(Path(entry.path), cutoff)
                if gone:
                    done.removed.append(f"media/{folder.name}/{entry.name}")
                    done.freed += info.st_size
                elif gone is False:  # taken up again while being removed: given back
                    done.young += 1
    return done


def _remove(path: Path, cutoff: float) -> bool | None:
    """Remove `path` unless it was used since `cutoff` (the module's last rule): True when
    removed, False when kept, None when it was gone already (another prune's)."""
    aside = path.with_name(f".{path.name}.pruning")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return None
    if os.stat(aside).st_mtime >= cutoff:
        os.replace(aside, path)
        return False
    os.unlink(aside)
    return True
