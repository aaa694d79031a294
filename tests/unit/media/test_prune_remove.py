"""The last step of `media prune`, the rename aside (`prune._remove`): a file is removed only
if it is still old once renamed, so an add that took it up again between the prune's first look
and the rename gets it back; a file another prune removed first is not an error. Time moves by
the file's modification time, never by sleeping."""

from __future__ import annotations

import os
from pathlib import Path

from xensocial.media.prune import _remove

CUTOFF = 1_000_000_000.0  # the prune's "older than": files last modified before it are old


def _image(tmp_path: Path, mtime: float) -> Path:
    path = tmp_path / "ab" / ("ab" + "0" * 62 + ".png")
    path.parent.mkdir()
    path.write_bytes(b"\x89PNG")
    os.utime(path, (mtime, mtime))
    return path


def test_a_file_still_old_once_aside_is_removed(tmp_path: Path) -> None:
    path = _image(tmp_path, CUTOFF - 60)
    assert _remove(path, CUTOFF) is True
    assert list(path.parent.iterdir()) == []  # neither the file nor its `.pruning` name


def test_a_file_taken_up_again_before_the_rename_is_given_back(tmp_path: Path) -> None:
    # `MediaStore.put` refreshed its time after the prune judged it old: it is young now.
    path = _image(tmp_path, CUTOFF + 1)
    assert _remove(path, CUTOFF) is False
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert path.read_bytes() == b"\x89PNG"


def test_a_file_another_prune_removed_first_is_none(tmp_path: Path) -> None:
    path = _image(tmp_path, CUTOFF - 60)
    path.unlink()
    assert _remove(path, CUTOFF) is None
    assert list(path.parent.iterdir()) == []
