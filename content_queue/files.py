"""Creating files and folders that are the service's user's alone: 0600 files, 0700 folders.

What the program writes (the SQLite database with its `-wal` and `-shm`, the outbox, the
heartbeat, reports, exports, lock and state files) says what the project posts, when and to
whom, and the folders hold credentials earned at run time. The process's umask must not decide
who else can read them: under the common 022 a file opened with `0o644` is readable by every
account on the machine, and a strange umask (0o277) can take the owner's own write bit away.
So a file or folder this module *creates* gets its mode set explicitly (`fchmod`/`chmod` after
creating it), whatever the umask.

What already exists is left as it is: a report a person made readable to a colleague, or a data
folder an operator set up, keeps its mode (a configuration or secret file that others can read
draws a warning instead, see `xensocial.filemodes`). An atomic rewrite (`atomic_write`) gives
the new file the old one's mode for the same reason.

SQLite creates its `-wal` and `-shm` files with the mode of the database file, so creating that
file first, private (`private_file`, which `db.make_engine` does just before SQLite would
create it), makes the three private.

The one implementation lives here, in the queue's package, because the queue creates the
database and its lock folder and must not import the service; the service imports these
helpers through `xensocial.filemodes`.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "atomic_write",
    "open_private",
    "private_dir",
    "private_file",
]

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Make sure `path` is a folder; each folder created on the way (missing parents too) is
    0700. An existing folder keeps its mode. Raises OSError as `os.mkdir` does."""
    missing: list[Path] = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIR)
        except FileExistsError:
            continue  # made meanwhile by another process: its mode is its maker's
        os.chmod(folder, PRIVATE_DIR)  # the umask may have taken bits away
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def open_private(path: Path, flags: int) -> int:
    """`os.open(path, flags | O_CREAT)`: a file it creates is 0600, an existing one keeps its
    mode. The caller closes the descriptor. The folder must exist (see `private_dir`)."""
    flags &= ~(os.O_CREAT | os.O_EXCL)
    for _ in range(5):
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        except FileExistsError:
            try:
                return os.open(path, flags)
            except FileNotFoundError:
                continue  # removed between the two opens: try to create it again
        try:
            os.fchmod(fd, PRIVATE_FILE)
        except BaseException:
            os.close(fd)
            raise
        return fd
    return os.open(path, flags | os.O_CREAT, PRIVATE_FILE)  # pragma: no cover (a file that
    # keeps appearing and vanishing: give up telling who created it)


def private_file(path: Path) -> Path:
    """Make sure `path` exists, creating its folders (0700) and an empty 0600 file if missing;
    an existing file is not touched (its contents and mode stay)."""
    private_dir(path.parent)
    os.close(open_private(path, os.O_RDONLY))
    return path


@contextlib.contextmanager
def atomic_write(
    path: Path, *, binary: bool = False, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """A file object whose contents replace `path` in one rename when the block ends without
    an error (a reader never sees half a file); on an error `path` is left as it was.

    A new file is 0600; a file that already exists keeps its mode. The folder must exist."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = PRIVATE_FILE
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.fchmod(fd, mode)
        if binary:
            stream: IO[Any] = os.fdopen(fd, "wb")
        else:
            stream = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
