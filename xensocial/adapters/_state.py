"""Credentials an adapter earns at run time, kept between processes: one private JSON file each.

Some networks hand out credentials as they go: Bluesky's session (`accessJwt`/`refreshJwt`,
whose `createSession` is limited per account, so signing in at every start, `verify` and
`metrics poll` can lock the account out for a day), LinkedIn's refreshed access token. These
are secrets like the configured ones, so:

- the file is created mode 0600 in a 0700 directory, whatever the umask, and replaced
  atomically (a reader sees the old file or the new, never half of one);
- `locked()` holds an exclusive advisory lock (a sibling `.lock` file) so that two processes
  refreshing the same session do not each spend a single-use refresh token;
- nothing here logs a value; a file that cannot be read or parsed reads as "nothing stored"
  (the adapter then signs in afresh, which is always correct, only slower).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..filemodes import atomic_write, open_private, private_dir

__all__ = ["StateFile", "state_file"]


class StateFile:
    """One JSON object in a private file: `load`, `save`, `clear`, under `locked()`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any] | None:
        """The stored object, or None when there is none (or it cannot be read as one)."""
        try:
            raw = self.path.read_text(encoding="utf-8")
            value = json.loads(raw)
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def save(self, value: Mapping[str, Any]) -> None:
        """Replace the stored object atomically; the file is mode 0600."""
        private_dir(self.path.parent)
        with atomic_write(self.path) as out:
            json.dump(dict(value), out)

    def clear(self) -> None:
        """Forget the stored object (it was refused: sign in afresh next time)."""
        self.path.unlink(missing_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's exclusive lock (blocking) for a read-refresh-write."""
        private_dir(self.path.parent)
        fd = open_private(self.path.with_name(self.path.name + ".lock"), os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def state_file(data_dir: Path, network: str, channel: str) -> StateFile:
    """The state file of one channel: `<data_dir>/credentials/<network>-<channel>.json`.

    Channel names are checked by the configuration (letters, digits, `-`, `_`), so the name is
    safe as a file name; it is checked again here rather than trusted."""
    if not channel or any(not (c.isalnum() or c in "-_") for c in channel):
        raise ValueError(f"channel name {channel!r} cannot name a file")
    return StateFile(data_dir / "credentials" / f"{network}-{channel}.json")
