"""Where state lives: the data folder and the database URL, resolved to absolute paths once.

Relative paths in a configuration file are the file's, not the shell's: a relative `data_dir`
(and the default `xensocial-data` when the file names none) is resolved against the file's
folder, so `cd /tmp && xensocial channels list` with the same `XENSOCIAL_CONFIG` finds the same
database instead of making a new, empty one. A relative SQLite file is inside the data folder.
`$XENSOCIAL_DATA_DIR` is a shell value, relative to the working directory.

The embedded demo is the exception: its file lives inside the installed package (possibly
read-only), so its state goes to ./xensocial-demo in the working directory, a folder of its own
that a real installation's ./xensocial-data never shares.

Nothing here imports SQLAlchemy for the common URLs (its import costs `queue list` ~300 ms).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from ..redaction import add_secrets

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEMO_DATA_DIR",
    "backend",
    "data_dir",
    "database_url",
    "sqlite_file",
]

DEFAULT_DATA_DIR = "xensocial-data"  # next to the configuration file
DEMO_DATA_DIR = "xensocial-demo"  # in the working directory: the demo's alone

# `sqlite://` (memory) or `sqlite[+driver]:///path` with no query string: what make_url would
# parse as a SQLite URL with no host, user or options. Anything else goes through make_url.
_SIMPLE_SQLITE = re.compile(r"(?P<name>sqlite(?:\+\w+)?)://(?:/(?P<database>[^?]*))?")


def data_dir(in_file: str | None, *, config_dir: Path, demo: bool, from_env: str | None) -> Path:
    """The state folder, absolute: `$XENSOCIAL_DATA_DIR`, else ./xensocial-demo for the demo,
    else the file's `data_dir` (or `xensocial-data`) in the configuration file's folder."""
    if from_env:
        return Path(from_env).expanduser().absolute()
    if demo:
        return (Path.cwd() / DEMO_DATA_DIR).absolute()
    return (config_dir / Path(in_file or DEFAULT_DATA_DIR).expanduser()).absolute()


def backend(url: str) -> str:
    """ "sqlite" or "postgresql" for a URL `database_url` returned."""
    return url.partition("://")[0].partition("+")[0]


def database_url(value: Any, folder: Path) -> str:
    """`value` as the URL to open: a relative SQLite file placed in `folder`, a password
    registered for redaction. Raises ValueError saying what was expected."""
    if not isinstance(value, str):
        raise ValueError(f"expected a URL such as 'sqlite:///xensocial.db', got {value!r}")
    simple = _SIMPLE_SQLITE.fullmatch(value)
    if simple is not None:
        # The common case, without SQLAlchemy: the same result as the make_url path below,
        # which tests/cli/test_cli_speed_paths.py checks.
        return _sqlite_url(simple.group("name"), simple.group("database"), folder)
    from content_queue.dbapi import psycopg_url

    postgres = psycopg_url(value)  # the usual PostgreSQL URL, also without SQLAlchemy
    if postgres is not None:  # (tests/storage/queue/test_dbapi.py compares it with make_url)
        rendered, password = postgres
        add_secrets([password])  # redacted from every log line and error from now on
        return rendered
    from sqlalchemy.engine import make_url

    try:
        url = make_url(value)
    except Exception:
        raise ValueError(
            f"{value!r} is not a database URL; expected e.g. 'sqlite:///xensocial.db' or "
            "'postgresql+psycopg://host/db'"
        ) from None
    add_secrets([url.password])  # redacted from every log line and error from now on
    name = url.get_backend_name()
    if name not in {"sqlite", "postgresql"}:
        raise ValueError(f"{name!r} is not supported; expected sqlite or postgresql")
    if name == "sqlite" and url.database and url.database != ":memory:":
        db_path = Path(url.database).expanduser()
        if not db_path.is_absolute():
            url = url.set(database=str(folder / db_path))
    return url.render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL from `database_url` opens; None for memory or another database."""
    simple = _SIMPLE_SQLITE.fullmatch(url)
    if simple is None or not simple.group("database"):
        return None
    path = unquote(simple.group("database"))
    return None if path == ":memory:" else Path(path)


def _sqlite_url(name: str, database: str | None, folder: Path) -> str:
    """A simple SQLite URL with a relative file resolved in `folder`, rendered as SQLAlchemy's
    `URL.render_as_string` would (the path unquoted when read, quoted when written)."""
    if database is None:
        return f"{name}://"
    path = unquote(database)
    if path and path != ":memory:":
        db_path = Path(path).expanduser()
        if not db_path.is_absolute():
            path = str(folder / db_path)
    return f"{name}:///{quote(path, safe=' +/')}"
