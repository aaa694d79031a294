"""Operating commands: `db upgrade`/`db status`, `run`, `health` (`adapters` is in networks.py).

`health` is what the Docker HEALTHCHECK runs: healthy means the database answers and the
daemon touched `<data_dir>/heartbeat` less than 90 seconds ago.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from .app import App, database_revision, pass_app, script_head
from .output import emit_json

__all__ = ["HEARTBEAT_MAX_AGE_S", "db", "health", "run"]

HEARTBEAT_MAX_AGE_S = 90


class Unhealthy(click.ClickException):
    exit_code = 1


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
        click.echo(f"The database is already at revision {after}.")
    else:
        click.echo(f"Upgraded the database from revision {before or 'none (empty)'} to {after}.")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show the configuration file, the data folder and the database in use (absolute paths),
    the schema revision, and how many items the database holds by state."""
    from sqlalchemy.engine import make_url

    from ..config_paths import sqlite_file

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
    click.echo(f"Config:   {config}" + (" (the embedded demo)" if settings.demo else ""))
    click.echo(f"Data dir: {settings.data_dir}")
    click.echo(f"Database: {url}")
    if at == head:
        click.echo(f"Revision: {at} (up to date)")
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        click.echo(f"Items:    {summary or 'none'}")
    else:
        click.echo(
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
    """Exit 0 when the database answers and the daemon's heartbeat is fresh (< 90 s), else 1."""
    from sqlalchemy import text

    try:  # making the engine is inside: a SQLite folder that cannot be created is unhealthy too
        with app.raw_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise Unhealthy(f"unhealthy: the database does not answer ({type(exc).__name__})") from exc
    beat = app.heartbeat_path()
    try:
        touched = datetime.fromtimestamp(beat.stat().st_mtime, UTC)
    except FileNotFoundError:
        raise Unhealthy(f"unhealthy: no heartbeat at {beat} (is the daemon running?)") from None
    age = (app.clock() - touched).total_seconds()
    if age >= HEARTBEAT_MAX_AGE_S:
        raise Unhealthy(
            f"unhealthy: the heartbeat {beat} is {age:.0f} s old (limit {HEARTBEAT_MAX_AGE_S} s)"
        )
    click.echo(f"healthy: the database answers; heartbeat {age:.0f} s ago")
