"""`xensocial export atom|csv`: what was published, and what the networks counted, as files.

Both commands only read the database (through a read-only connection, so a long export never
holds up the daemon) and write to stdout or to `--out PATH`. A file is written next to its
final name and moved into place at the end, so an export that fails leaves no half-written
file behind, and never an empty one over an older good one. Every option is checked before
anything is read: a bad date, an unknown channel, a folder that does not exist or a file
whose extension names another format (`feed.pdf`) is exit 2.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from ..errors import UsageError
from .app import App, pass_app
from .output import echo
from .params import LIMIT, out_format

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["export"]

_KINDS = ("posts", "engagement", "followers")  # csv_export.KINDS (not imported for --help)
_ROW_NAMES = {
    "posts": "post(s)",
    "engagement": "engagement sample(s)",
    "followers": "follower sample(s)",
}
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The file names `--out` takes (any other extension is refused: `params.out_format`).
_ATOM_FILES = {".atom": "atom", ".xml": "atom"}
_CSV_FILES = {".csv": "csv"}


@click.group()
def export() -> None:
    """Published posts as an Atom feed, and posts, engagement or followers as CSV."""


@export.command("atom")
@click.option("--channel", "channel", metavar="NAME", help="Only this channel's posts.")
@click.option(
    "--out",
    "out",
    metavar="PATH",
    help="Write the feed to PATH, a .atom or .xml file (default: stdout).",
)
@click.option(
    "--limit",
    type=LIMIT,
    default=50,
    show_default=True,
    help="The newest N posts.",
)
@pass_app
def atom(app: App, channel: str | None, out: str | None, limit: int) -> None:
    """The Atom feed of published posts, newest first: every channel, or one."""
    from ..reporting.atom import atom_feed, latest_posts

    target = _target(out, _ATOM_FILES)
    with _reading(app) as conn:
        _check_channel(app, conn, channel)
        posts = latest_posts(conn, channel=channel, limit=limit)
    document = atom_feed(posts, channel=channel, now=app.clock())
    with _output(target, binary=True) as f:
        f.write(document)
    if target is not None:
        echo(f"Wrote {len(posts)} post(s) to {target}.")


@export.command("csv")
@click.option(
    "--what",
    type=click.Choice(_KINDS),
    required=True,
    help="posts (one row per published post), engagement (per engagement sample) or "
    "followers (per follower sample).",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Rows from this date/time on (a date is its midnight, in the configuration's zone).",
)
@click.option(
    "--until",
    metavar="DATE",
    help="Rows before this date/time; a date alone includes that whole day.",
)
@click.option("--channel", "channel", metavar="NAME", help="Only this channel's rows.")
@click.option(
    "--out", "out", metavar="PATH", help="Write the CSV to PATH, a .csv file (default: stdout)."
)
@pass_app
def csv_command(
    app: App,
    what: str,
    since: str | None,
    until: str | None,
    channel: str | None,
    out: str | None,
) -> None:
    """Posts, engagement samples or follower samples as CSV: a header row, times in UTC, and
    an empty cell where the network gave no figure."""
    from ..reporting.csv_export import Window, export_csv

    zone, now = app.settings.timezone, app.clock()
    start = _when(since, "--since", zone, now, end_of_day=False)
    end = _when(until, "--until", zone, now, end_of_day=True)
    if start is not None and end is not None and start >= end:
        raise UsageError(f"--since {since} is not before --until {until}: nothing could match")
    target = _target(out, _CSV_FILES)
    with _reading(app) as conn:
        _check_channel(app, conn, channel)
        with _output(target, binary=False) as f:
            rows = export_csv(conn, what, f, Window(channel, start, end))
    if target is not None:
        echo(f"Wrote {rows} {_ROW_NAMES[what]} to {target}.")


def _when(
    value: str | None, option: str, zone: str, now: datetime, *, end_of_day: bool
) -> datetime | None:
    from ..timeinput import parse_when

    if value is None:
        return None
    instant = parse_when(value, zone=zone, now=now, option=option)
    if end_of_day and _DATE_ONLY.fullmatch(
        value.strip()
    ):  # --until 2026-03-31 means "through the 31st"
        nxt = datetime.fromisoformat(value.strip()).date() + timedelta(days=1)
        instant = parse_when(nxt.isoformat(), zone=zone, now=now, option=option)
    return instant


def _target(out: str | None, extensions: Mapping[str, str]) -> Path | None:
    """The output file, checked before anything is read: its folder must exist, and its
    extension, if any, must be one of `extensions` (`params.out_format`)."""
    if out is None or out == "-":
        return None
    out_format(out, extensions, default=next(iter(extensions.values())))  # a name first
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"--out {out}: is a folder; give a file name")
    if not path.absolute().parent.is_dir():
        raise UsageError(f"--out {out}: the folder {path.absolute().parent} does not exist")
    return path


def _check_channel(app: App, conn: Connection, channel: str | None) -> None:
    from ..reporting.published import channel_has_history

    if channel is None or channel in app.settings.channel_names:
        return
    if not channel_has_history(conn, channel):
        app.settings.channel(channel)  # raises the usual "no channel named ..." error


@contextlib.contextmanager
def _reading(app: App) -> Iterator[Connection]:
    """A read-only connection, after the schema check every command makes (app.engine)."""
    from ..reporting.readonly import read_only_engine

    _ = app.engine  # checks (and with auto_migrate, upgrades) the schema first
    engine = read_only_engine(app.settings.database_url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@contextlib.contextmanager
def _output(target: Path | None, *, binary: bool) -> Iterator[IO[Any]]:
    """stdout, or a temporary file beside `target` renamed onto it once complete."""
    if target is None:
        stream: IO[Any] = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    from ..filemodes import atomic_write

    # A new file is private (0600), like everything the program writes: what the queue holds
    # is the project's to share (chmod), and an existing file keeps the mode it was given.
    # newline="": the csv module writes its own line endings.
    with atomic_write(target, binary=binary, newline="") as f:
        yield f
