"""Database migrations: Alembic, driven from code so an installed package can run them.

The scripts live in the checkout's `migrations/` and travel in the wheel as
`xensocial/_migrations`; `script_location()` finds whichever is there.

Whether a database is at the scripts' head is asked by every CLI command that opens it and by
the daemon at start, so `script_head` and `database_revision` answer without importing Alembic
(which with Mako and Pygments would cost the CLI its speed and the daemon ~12 MB for good);
Alembic is loaded only to upgrade. This module imports nothing at its top but what `--help`
has loaded already: the CLI's `App` imports it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

__all__ = [
    "current_revision",
    "database_revision",
    "head_revision",
    "script_head",
    "script_location",
    "upgrade",
]

_REVISION = re.compile(r"^revision\s*(?::\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]+)?=\s*(?:None|['\"]([^'\"]+)['\"])", re.MULTILINE)


def script_location() -> Path:
    from importlib import resources
    from pathlib import Path

    shipped = resources.files("xensocial").joinpath("_migrations")
    if shipped.is_dir() and shipped.joinpath("env.py").is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "migrations"


def _config(engine: Engine) -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the database to `revision`. Returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(_config(engine), revision)  # type: ignore[arg-type]
    return before, current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(script_location())).get_current_head()


def script_head() -> str | None:
    """The newest migration's revision id, read from the scripts without importing Alembic.

    Falls back to Alembic when the scripts are not one straight line of revisions."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((script_location() / "versions").glob("*.py")):
        source = script.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN.search(source)
        if rev is None or down is None:
            return head_revision()
        revisions.add(rev.group(1))
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else head_revision()


def database_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
