"""Files that should be private to the service's user: created so, and a warning when others
can get at the ones it is given.

Everything the program creates (the database, the outbox, the heartbeat, reports and exports,
state and lock files) is made with `private_dir` (0700), `private_file`/`open_private` (0600)
or `atomic_write` (0600, or the replaced file's own mode), whatever the umask; what exists
already keeps its mode. They are implemented in `content_queue.files` (the queue creates the
database and must not import the service) and are imported from here by the service's code.

The configuration may hold a database password (in `database_url`), and a `file:` secret is a
token in the clear; either one readable (or writable) by the file's group or by everyone else
(`mode & 0o077`) lets another account on the machine post as the project. That is worth saying
at every start, never worth refusing to start over: the check is on the mode bits only (so it
means the same for root, who can read everything anyway), and a file that cannot be inspected
is left to the code that reads it to report.
"""

from __future__ import annotations

import stat
from pathlib import Path

from content_queue.files import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    atomic_write,
    open_private,
    private_dir,
    private_file,
)

from .config import Settings, demo_config_path

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "atomic_write",
    "config_file_warning",
    "exposure",
    "open_private",
    "private_dir",
    "private_file",
]


def exposure(path: Path, what: str) -> str | None:
    """A one-line warning naming `path` (a `what`, e.g. "secret file") when its group or other
    users may read or write it, with the command that fixes it; None when it is private."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode) or not mode & 0o077:
        return None
    verbs = [v for v, bits in (("read", 0o044), ("changed", 0o022)) if mode & bits]
    return (
        f"{what} {path} can be {' and '.join(verbs)} by other users "
        f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
    )


def config_file_warning(settings: Settings) -> str | None:
    """The warning for the configuration file, if it needs one (the embedded demo never does:
    it is part of the installed package and holds no secret)."""
    source = Path(settings.source)
    if source.resolve() == demo_config_path().resolve():
        return None
    return exposure(source, "configuration file")
