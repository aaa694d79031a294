"""What `/healthz` answers: is the database reachable, and is the scheduler alive?

The database check opens a fresh read-only connection each time (a pooled one would keep
reading a SQLite file that has been removed, and hide a PostgreSQL server that no longer
accepts connections) and reads `alembic_version`, so "reachable" means the schema is there too:
`SELECT 1` answers even from a PostgreSQL schema that was dropped. It waits at most `timeout`
seconds. The scheduler's liveness is asked of the daemon, which knows it best.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from .. import __version__
from .readonly import read_only_engine

__all__ = ["HEALTH_TIMEOUT", "Health", "HealthCheck"]

HEALTH_TIMEOUT = 2.0  # seconds: an orchestrator's probe usually gives up after a few


@dataclass(frozen=True)
class Health:
    """One answer of the check: `problems` empty means healthy."""

    problems: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok" if self.ok else "unhealthy", **self.details}
        if self.problems:
            body["reason"] = "; ".join(self.problems)
        return body


class HealthCheck:
    """Checks the database (`database_url`) and the scheduler (`scheduler_problem`: None when
    it is alive, else why not)."""

    def __init__(
        self,
        database_url: str,
        scheduler_problem: Callable[[], str | None],
        *,
        identity: str,
        timeout: float = HEALTH_TIMEOUT,
    ) -> None:
        self.scheduler_problem = scheduler_problem
        self.identity = identity
        self._engine: Engine = read_only_engine(
            database_url, timeout=timeout, statement_timeout=timeout, pooled=False
        )

    def check(self) -> Health:
        problems: list[str] = []
        database = self._database_problem()
        if database is not None:
            problems.append(database)
        scheduler = self.scheduler_problem()
        if scheduler is not None:
            problems.append(scheduler)
        details = {
            "database": "ok" if database is None else "unreachable",
            "scheduler": "running" if scheduler is None else "stopped",
            "identity": self.identity,
            "version": __version__,
        }
        return Health(tuple(problems), details)

    def _database_problem(self) -> str | None:
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except Exception as exc:  # any failure to read is "unreachable", said with its cause
            return f"the database does not answer: {_first_line(exc)}"
        return None

    def close(self) -> None:
        self._engine.dispose()


def _first_line(exc: Exception) -> str:
    # A DBAPI error's own message, not SQLAlchemy's wrapper (which appends the SQL and a link).
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0][:200]}" if lines else type(cause).__name__
