"""Database migrations: Alembic, driven from code so an installed package can run them.

The scripts live in the checkout's `migrations/` and travel in the wheel as
`xensocial/_migrations`; `script_location()` finds whichever is there.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `script_location` is used by the CLI's SQLAlchemy-free schema check
    from sqlalchemy.engine import Engine

__all__ = ["current_revision", "head_revision", "script_location", "upgrade"]


def script_location() -> Path:
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
