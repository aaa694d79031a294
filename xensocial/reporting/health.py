"""Healthy means "can post": the one rule behind `xensocial health`, `/healthz` and `/metrics`.

`judge` is that rule. It is unhealthy when

- the database does not answer a fresh read-only connection (`database_problem`: not one from
  a pool, which would keep reading a SQLite file that was removed or hide a PostgreSQL server
  that no longer accepts connections; it reads `alembic_version`, so a dropped PostgreSQL
  schema counts too, and it never creates a database where none is);
- the database refused the daemon's latest write (the heartbeat's tick, see
  `xensocial.heartbeat`);
- the last `[health] crashed_slots` slots (3) all crashed;
- the heartbeat is stale: no slot or tick completed its database work within `[health]
  stale_after` (90 s), or there is no heartbeat at all;
- (for `/healthz`, in the daemon) the scheduler is stopped or stopping, or the heartbeat could
  not be saved to its file (which `xensocial health` would soon find stale).

`/healthz` judges the daemon's record in memory, `xensocial health` the copy in
`<data_dir>/heartbeat`; the rule, and so the answer, is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine

from .. import __version__
from ..config.health import HealthConfig
from ..heartbeat import Beat, describe
from .readonly import read_only_engine

__all__ = ["HEALTH_TIMEOUT", "DaemonState", "Health", "HealthCheck", "database_problem", "judge"]

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


def judge(
    *,
    database: str | None,
    beat: Beat | str,
    now: datetime,
    rules: HealthConfig,
    scheduler: str | None = None,
) -> Health:
    """Healthy or not, and why: `database` is `database_problem`'s answer, `beat` the
    daemon's record (or why there is none), `scheduler` why the scheduler is not running (only
    the daemon itself can tell; None from outside)."""
    problems: list[str] = []
    if database is not None:
        problems.append(database)
    details: dict[str, Any] = {"database": "ok" if database is None else "unreachable"}
    if isinstance(beat, str):
        problems.append(beat)
        details["writes"] = "unknown"
    else:
        if beat.write_refused is not None:
            problems.append(f"the database refuses writes: {beat.write_refused}")
        details["writes"] = "ok" if beat.write_refused is None else "refused"
        if beat.crashed_in_a_row >= rules.crashed_slots:
            problems.append(
                f"the last {beat.crashed_in_a_row} slots crashed (the latest: {beat.last_crash})"
            )
        details["crashed_slots"] = beat.crashed_in_a_row
        limit = rules.stale_after.total_seconds()
        if beat.at is None:
            problems.append("no slot or tick has completed its database work yet")
        else:
            age = max(0.0, (now - beat.at).total_seconds())
            details["heartbeat_age_s"] = round(age, 1)
            if age > limit:
                problems.append(
                    f"the heartbeat is {age:.0f} s old (limit {limit:.0f} s): no slot or tick "
                    "has completed its database work since"
                )
        if beat.unsaved is not None:
            problems.append(beat.unsaved)
    if scheduler is not None:
        problems.append(scheduler)
    return Health(tuple(problems), details)


def database_problem(engine: Engine) -> str | None:
    """None when `engine` (a `read_only_engine(..., pooled=False)`) reads `alembic_version`,
    else the reason, said with its cause."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except Exception as exc:  # any failure to read is "unreachable"
        return f"the database does not answer: {describe(exc)}"
    return None


def health_engine(database_url: str, timeout: float = HEALTH_TIMEOUT) -> Engine:
    """The engine `database_problem` reads through: read-only, a fresh connection each time,
    waiting at most `timeout` seconds."""
    return read_only_engine(database_url, timeout=timeout, statement_timeout=timeout, pooled=False)


class DaemonState(Protocol):
    """What the running daemon tells its endpoint about itself."""

    def scheduler_problem(self) -> str | None:
        """Why the scheduler is not running, or None."""

    def beat(self) -> Beat:
        """The heartbeat record as it stands in memory."""


class HealthCheck:
    """`/healthz` and `/metrics`' view of health: `judge` over a fresh read of the database
    and the daemon's own record."""

    def __init__(
        self,
        database_url: str,
        daemon: DaemonState,
        *,
        rules: HealthConfig,
        identity: str,
        clock: Callable[[], datetime],
        timeout: float = HEALTH_TIMEOUT,
    ) -> None:
        self.daemon, self.rules, self.identity, self.clock = daemon, rules, identity, clock
        self._engine: Engine = health_engine(database_url, timeout)

    def check(self) -> Health:
        scheduler = self.daemon.scheduler_problem()
        health = judge(
            database=database_problem(self._engine),
            beat=self.daemon.beat(),
            now=self.clock(),
            rules=self.rules,
            scheduler=scheduler,
        )
        details = {
            **health.details,
            "scheduler": "running" if scheduler is None else "stopped",
            "identity": self.identity,
            "version": __version__,
        }
        return Health(health.problems, details)

    def writes_problem(self) -> str | None:
        """Why the daemon's latest write to the database failed, or None (for `/metrics`'
        `xensocial_database_up`, which must not say 1 while writes fail)."""
        return self.daemon.beat().write_refused

    def close(self) -> None:
        self._engine.dispose()
