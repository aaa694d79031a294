"""Operating commands: `db upgrade`/`db status`, `run`, `health` (`adapters` is in networks.py).

`health` is what the Docker HEALTHCHECK runs. It judges the daemon's heartbeat record
(`<data_dir>/heartbeat`) and a fresh read of the database by the same rule as `/healthz`
(`reporting.health.judge`), and creates nothing: no database, no folder, no file. Its exit
codes: 0 healthy, 1 unhealthy, 2 misconfigured (the configuration is wrong, or what it names
is not there: the data directory, the SQLite file).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..migrate import database_revision, script_head
from .app import App, pass_app
from .output import echo, emit_json

__all__ = ["db", "health", "run"]


class Unhealthy(click.ClickException):
    exit_code = 1


class Misconfigured(click.ClickException):
    exit_code = 2


@click.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command()
@pass_app
def upgrade(app: App) -> None:
    """Bring the database schema to this version's (safe to run at every start)."""
    from ..migrate import upgrade as run_upgrade

    engine = app.raw_engine
    before, after = run_upgrade(engine)
    if before == after:
        echo(f"The database is already at revision {after}.")
    else:
        echo(f"Upgraded the database from revision {before or 'none (empty)'} to {after}.")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show the configuration file, the data folder and the database in use (absolute paths),
    the schema revision, and how many items the database holds by state."""
    from sqlalchemy.engine import make_url

    from ..config.paths import sqlite_file

    settings = app.settings
    config = str(Path(settings.source).resolve())
    database_file = sqlite_file(settings.database_url)
    engine = app.raw_engine
    at, head = database_revision(engine), script_head()
    counts: dict[str, int] = {}
    if at == head:
        from content_queue.queue import ContentQueue

        counts = ContentQueue(engine).count_by_state()
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    if as_json:
        emit_json(
            {
                "configuration": config,
                "demo": settings.demo,
                "data_dir": str(settings.data_dir),
                "database": url,
                "database_file": None if database_file is None else str(database_file),
                "revision": at,
                "head": head,
                "up_to_date": at == head,
                "items": counts,
            }
        )
        return
    echo(f"Config:   {config}" + (" (the embedded demo)" if settings.demo else ""))
    echo(f"Data dir: {settings.data_dir}")
    echo(f"Database: {url}")
    if at == head:
        echo(f"Revision: {at} (up to date)")
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        echo(f"Items:    {summary or 'none'}")
    else:
        echo(
            f"Revision: {at or 'none (empty)'}; this version needs {head}: run `xensocial db upgrade`"
        )


@click.command()
@click.option("--dry-run", is_flag=True, help="Render and log each post instead of publishing it.")
@pass_app
def run(app: App, dry_run: bool) -> None:
    """Run the daemon: post the queue's items at each channel's slots, until stopped."""
    from ..daemon import run_daemon

    code = run_daemon(app.settings, dry_run=dry_run)
    raise click.exceptions.Exit(code)


@click.command()
@pass_app
def health(app: App) -> None:
    """Exit 0 when the daemon can post (its database answers and took its latest write, its
    last slots did not all crash, its heartbeat is fresh), 1 when not, 2 when misconfigured."""
    from sqlalchemy.engine import make_url

    from ..heartbeat import heartbeat_path, read_beat
    from ..reporting.health import database_problem, health_engine, judge

    settings = app.settings  # a bad configuration: exit 2 like every command
    if not settings.data_dir.is_dir():
        raise Misconfigured(
            f"misconfigured: the data directory {settings.data_dir} does not exist (moved, or "
            "never created: `xensocial run` creates it)"
        )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(str(url.database)).expanduser()
        if not str(url.database).startswith("file:") and not database.is_file():
            raise Misconfigured(f"misconfigured: no database at {database}")
    engine = health_engine(settings.database_url)  # read-only: it never creates a database
    try:
        problem = database_problem(engine)
    finally:
        engine.dispose()
    verdict = judge(
        database=problem,
        beat=read_beat(heartbeat_path(settings.data_dir)),
        now=app.clock(),
        rules=settings.health,
    )
    if not verdict.ok:
        raise Unhealthy("unhealthy: " + "; ".join(verdict.problems))
    age = verdict.details.get("heartbeat_age_s", 0)
    echo(
        f"healthy: the database answers and took the daemon's latest write; heartbeat {age:.0f} s "
        f"ago; {verdict.details.get('crashed_slots', 0)} crashed slots in a row"
    )
