"""`xensocial report monthly|quarterly`: the status report of a month or a quarter.

The period is a calendar month (`--month 2026-03`) or quarter (`--quarter 2026-Q1`) in the
configuration's time zone, by default the last complete one, so that a cron job on the first of
the month needs no arguments. The report prints to stdout, or is written to `--out` (the format
then follows the file's extension unless `--format` says otherwise). A PDF is binary: it goes to
`--out`, or to a stdout that is a pipe or a file (`> march.pdf`), never to a terminal, where it
would only garble the screen. It only reads the database: over SQLite through a read-only
connection, so the daemon is never made to wait for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from content_queue.plaintext import json_visible

from ..errors import UsageError
from ..reporting.render import BINARY_FORMATS, FORMATS
from .app import App, pass_app
from .output import echo
from .params import out_format

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..reporting.periods import Period

__all__ = ["report"]
# The file names `--out` takes, and the format each means (`params.out_format`).
_EXTENSIONS = {".md": "md", ".markdown": "md", ".txt": "md", ".html": "html", ".htm": "html",
               ".csv": "csv", ".json": "json", ".pdf": "pdf"}  # fmt: skip


def _output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format and --out, shared by both reports."""
    command = click.option(
        "--out",
        "out",
        metavar="PATH",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the report to this file instead of printing it (its extension .md, .html, "
        ".csv, .json or .pdf chooses the format; any other extension is refused).",
    )(command)
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        help="md (Markdown, the default), html (one self-contained file with charts), csv "
        "(section,key,metric,value), json, or pdf (the HTML report printed on A4; to --out or "
        "a redirected stdout, never a terminal).",
    )(command)


@click.group()
def report() -> None:
    """The status report: posts, engagement, followers, press coverage, share of voice,
    themes, programme activity, and what failed or was skipped (docs/reports.md)."""


@report.command("monthly")
@click.option(
    "--month",
    metavar="YYYY-MM",
    help="The calendar month, in the configuration's time zone (default: the last complete month).",
)
@_output_options
@pass_app
def monthly(app: App, month: str | None, fmt: str | None, out: Path | None) -> None:
    """The report of one calendar month.

    For example: `xensocial report monthly --month 2026-03 --out march.html`."""
    from ..reporting.periods import default_month, parse_month

    zone = app.settings.timezone
    period = parse_month(month, zone) if month else default_month(app.clock(), zone)
    _produce(app, period, fmt, out)


@report.command("quarterly")
@click.option(
    "--quarter",
    metavar="YYYY-Qn",
    help="The calendar quarter, in the configuration's time zone (default: the last complete "
    "quarter).",
)
@_output_options
@pass_app
def quarterly(app: App, quarter: str | None, fmt: str | None, out: Path | None) -> None:
    """The report of one calendar quarter.

    For example: `xensocial report quarterly --quarter 2026-Q1 --format csv`."""
    from ..reporting.periods import default_quarter, parse_quarter

    zone = app.settings.timezone
    period = parse_quarter(quarter, zone) if quarter else default_quarter(app.clock(), zone)
    _produce(app, period, fmt, out)


def _check_out(out: Path) -> None:
    """Refuse, before reading anything, a file that could not be written."""
    folder = out.parent  # "." for a bare file name
    if not folder.is_dir():
        raise UsageError(f"--out: the folder {str(folder)!r} does not exist")
    if out.is_dir():
        raise UsageError(f"--out: {str(out)!r} is a folder; give a file name")


def _reading_engine(app: App) -> Engine:
    """An engine to read the report through. On SQLite, a read-only connection: it never takes
    the write lock (every transaction of the queue's own engine does), so the daemon never
    waits for a report. The schema is checked through it too; only a database that is missing
    or behind goes the usual way first (created or upgraded with auto_migrate, else refused)."""
    settings = app.settings
    if not settings.is_sqlite():
        return app.engine
    from sqlalchemy.exc import OperationalError

    from ..migrate import database_revision, script_head
    from ..reporting.readonly import read_only_engine

    reader = read_only_engine(settings.database_url, pooled=False)
    try:
        current = database_revision(reader)
    except OperationalError:  # no database file yet
        current = None
    if current != script_head():
        reader.dispose()
        app.engine  # noqa: B018 - creates or upgrades the schema, or says how to
        reader = read_only_engine(settings.database_url, pooled=False)
    return reader


def _check_terminal(chosen: str) -> None:
    """Refuse, before reading anything, to print a binary format to a terminal."""
    if chosen in BINARY_FORMATS and sys.stdout.isatty():
        raise UsageError(
            f"--format {chosen}: a {chosen.upper()} is binary and cannot be shown in a terminal; "
            f"give --out FILE.{chosen}, or redirect the output to a file"
        )


def _produce(app: App, period: Period, fmt: str | None, out: Path | None) -> None:
    from ..reporting.build import build_report
    from ..reporting.render import render_bytes  # the renderers, imported only now

    chosen = out_format(out, _EXTENSIONS, default="md", given=fmt)
    if out is not None:
        _check_out(out)
    else:
        _check_terminal(chosen)
    settings = app.settings
    engine = _reading_engine(app)
    try:
        report = build_report(engine, period, settings.report, settings.channel_names,
                              now=app.clock())  # fmt: skip
    finally:
        if settings.is_sqlite():
            engine.dispose()
    data = render_bytes(report, chosen)
    if out is None and chosen in BINARY_FORMATS:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if out is None:  # JSON escaped its own way stays JSON (`echo` then finds nothing to escape)
        text = data.decode("utf-8")
        echo(json_visible(text) if chosen == "json" else text, nl=False)
        return
    from ..filemodes import atomic_write

    with atomic_write(out, binary=True) as f:  # a reader never sees half a report; new: 0600
        f.write(data)
    echo(
        f"Wrote the {period.kind}ly report for {period.name} ({chosen}, {len(data):,} bytes) to {out}."
    )
