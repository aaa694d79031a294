"""`xensocial clips ...`: press coverage (add, list, import, poll).

A clip is an article about the project or its competitors. `clips list` shows which competitors
and themes each one mentions, by the `[report]` keywords in force (the monthly report counts
share of voice the same way); coverage feeds (`[[coverage_feeds]]`) add clips on their own, and
`clips poll` polls them once.

The helpers for days, months and CSV imports at the top are shared with `activity`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..errors import UsageError
from ..tables import format_table, trim
from .app import App, pass_app
from .output import echo, emit_json, quiet_logger
from .params import LIMIT

if TYPE_CHECKING:
    from content_queue.coverage import ClipView, CoverageImport, NewClip
    from content_queue.errors import RowError

__all__ = [
    "clips",
    "import_options",
    "limit_option",
    "local_today",
    "month_option",
    "month_range",
    "parse_day",
    "run_import",
]

DAY_FORMS = "2026-03-02, today, yesterday, -3d (3 days ago), +2d, 2026-03-02T09:30"
_Row = TypeVar("_Row")
_F = TypeVar("_F", bound=Callable[..., Any])


# -- shared with `activity` ----------------------------------------------------------------


def local_today(app: App) -> date:
    """Today in the configuration's time zone."""
    from zoneinfo import ZoneInfo

    return app.clock().astimezone(ZoneInfo(app.settings.timezone)).date()


def parse_day(app: App, value: str, option: str) -> date:
    """The calendar date `value` names, in the configuration's zone: an ISO date, `today`,
    `yesterday`, `-3d` (days ago), or any date/time other commands accept (`+2d`, ISO)."""
    from zoneinfo import ZoneInfo

    from ..timeinput import ago, parse_when

    zone = ZoneInfo(app.settings.timezone)
    text = value.strip().lower()
    bad = UsageError(f"{option}: {value!r} is not a date; accepted: {DAY_FORMS}")
    if text in ("today", "yesterday"):
        return local_today(app) - timedelta(days=1 if text == "yesterday" else 0)
    try:
        if text.startswith("-"):
            return ago(text[1:], app.clock()).astimezone(zone).date()
        return (
            parse_when(value, zone=app.settings.timezone, now=app.clock(), option=option)
            .astimezone(zone)
            .date()
        )
    except (ValueError, UsageError):
        raise bad from None


def month_option(what: str) -> Callable[[_F], _F]:
    """`--month YYYY-MM` of a list command."""
    return click.option("--month", metavar="YYYY-MM", help=f"Only {what} in this month.")


limit_option = click.option(
    "--limit",
    type=LIMIT,
    default=100,
    show_default=True,
    help="At most this many (newest first).",
)


def import_options(command: _F) -> _F:
    """FILE, `--skip-bad` and `--json`: what every CSV import command takes."""
    command = click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")(
        command
    )
    command = click.option(
        "--skip-bad", is_flag=True, help="Import the good rows even if some are bad."
    )(command)
    path = click.Path(exists=True, dir_okay=False, path_type=Path)
    return click.argument("file", type=path)(command)


def month_range(month: str | None) -> tuple[date | None, date | None]:
    """The first day of `month` (YYYY-MM) and of the next month; (None, None) without one."""
    from content_queue.coverage import month_bounds

    return month_bounds(month) if month is not None else (None, None)


def run_import(
    file: Path,
    rows: Iterable[tuple[int, _Row] | RowError],
    add_many: Callable[..., CoverageImport[Any]],
    *,
    noun: str,
    skip_bad: bool,
    as_json: bool,
    describe: Callable[[Any], str],
) -> None:
    """Add the rows of a CSV file, read as a stream, all at once (or the good ones, with
    `skip_bad`; a file with no good row at all is refused either way) and say what was added,
    skipped as already there, and refused, each with its line number."""
    from content_queue.errors import ImportFailed

    result = add_many(rows, skip_bad=skip_bad, path=str(file))
    refused = sorted(result.refused, key=lambda e: e.line)
    if refused and not result.added and not result.duplicates:
        raise ImportFailed(str(file), refused)  # nothing was written: no row was good
    if as_json:
        emit_json(
            {
                "added": [{"line": n, noun: view.as_dict()} for n, view in result.added],
                "duplicates": [
                    {"line": n, "existing_id": dup.existing_id, "message": str(dup)}
                    for n, dup in result.duplicates
                ],
                "refused": [{"line": e.line, "message": e.message} for e in refused],
            }
        )
        return
    echo(f"Added {len(result.added)} {noun}(s) from {file}" + (":" if result.added else "."))
    for _, view in result.added:
        echo(f"  {describe(view)}")
    if result.duplicates:
        echo(f"Skipped {len(result.duplicates)} already recorded:")
        for n, dup in result.duplicates:
            echo(f"  line {n}: {dup}")
    if refused:
        echo(f"Refused {len(refused)} row(s):")
        for error in refused:
            echo(f"  {error}")


# -- clips -----------------------------------------------------------------------------------


def _describe(clip: ClipView) -> str:
    return f"{clip.id}: {clip.title or clip.url} ({clip.outlet}, {clip.published_on.isoformat()})"


def _with_page_title(app: App, new: NewClip) -> NewClip:
    """`new` with the page's own title (and description as summary); a page that cannot be
    read does not stop the add, an address in the local network does."""
    from dataclasses import replace

    from ..intake.fetch import FetchError
    from ..intake.links import fetch_link_metadata

    if not app.settings.intake.fetch_link_details:
        return new
    try:
        meta = fetch_link_metadata(new.url, app.settings.intake.fetch_limits())
    except FetchError as exc:
        if exc.refused:
            raise UsageError(
                f"{exc.reason}. To add the clip without reading the page, give --title"
            ) from None
        echo(f"warning: could not read the page ({exc.reason}).", err=True)
        return new
    return replace(new, title=meta.title or "", summary=new.summary or meta.description or "")


class _Mentions:
    """Which competitors and themes of the configuration a clip mentions."""

    def __init__(self, app: App) -> None:
        from ..reporting.keywords import KeywordSet

        report = app.settings.report
        self.competitors = KeywordSet.build(report.competitors)
        self.themes = KeywordSet.build(report.themes)

    def of(self, clip: ClipView) -> tuple[list[str], list[str]]:
        texts = (clip.title, clip.summary)
        return self.competitors.matches(*texts), self.themes.matches(*texts)


@click.group()
def clips() -> None:
    """Press coverage: articles about the project and its competitors."""


@clips.command("add")
@click.argument("url")
@click.option("--outlet", default="", help="The publication (default: the URL's host).")
@click.option("--date", "day", help=f"The article's date (default today): {DAY_FORMS}.")
@click.option("--title", default="", help="The headline. Without it, the page's own title is read.")
@click.option(
    "--summary", default="", help="A line about the article; keywords are counted in it too."
)
@click.option("--topic", default="", help="A topic of your own to filter by (e.g. release).")
@click.option("--json", "as_json", is_flag=True, help="Print the new clip as JSON.")
@pass_app
def add(
    app: App,
    url: str,
    outlet: str,
    day: str | None,
    title: str,
    summary: str,
    topic: str,
    as_json: bool,
) -> None:
    """Add the article at URL as a press clip; prints its id and what it mentions."""
    from content_queue.coverage import ClipStore, DuplicateClip, NewClip, check_clip

    store = ClipStore(app.sessions, clock=app.clock)
    new = NewClip(
        url=url,
        published_on=parse_day(app, day, "--date") if day is not None else local_today(app),
        title=title,
        summary=summary,
        outlet=outlet,
        topic=topic,
        created_by=app.user,
    )
    new = check_clip(new, local_today(app))  # bad input is refused before any fetch
    existing = store.find(new.url)
    if existing is not None:
        raise DuplicateClip(new.url, existing.id, existing.title)
    if not title:
        new = _with_page_title(app, new)
    clip = store.add(new)
    if not clip.title and not clip.summary:
        echo(
            "warning: the clip has no title or summary, so it mentions no competitor or theme "
            "(it still counts as a clip); give --title to record its words.",
            err=True,
        )
    competitors, themes = _Mentions(app).of(clip)
    if as_json:
        emit_json({**clip.as_dict(), "competitors": competitors, "themes": themes})
        return
    echo(f"Added clip {_describe(clip)}")
    echo(
        f"Mentions: {', '.join(competitors) or 'no competitor'}; themes: {', '.join(themes) or 'none'}."
    )


@clips.command("list")
@month_option("clips dated")
@click.option("--topic", help="Only clips of this topic.")
@click.option("--outlet", help="Only clips of this outlet.")
@click.option(
    "--source", help="Only clips from manual, csv, feed (any coverage feed) or feed:NAME."
)
@limit_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of clips.")
@pass_app
def list_(
    app: App,
    month: str | None,
    topic: str | None,
    outlet: str | None,
    source: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List clips, newest first, with the competitors and themes each mentions."""
    from content_queue.coverage import ClipStore

    start, end = month_range(month)
    found = ClipStore(app.sessions, clock=app.clock).list_clips(
        start=start, end=end, topic=topic, outlet=outlet, source=source, limit=limit
    )
    mentions = _Mentions(app)
    rows = [(clip, *mentions.of(clip)) for clip in found]
    if as_json:
        emit_json([{**c.as_dict(), "competitors": m, "themes": t} for c, m, t in rows])
        return
    if not rows:
        echo("No clips." if month is None else f"No clips in {month}.")
        return
    echo(
        format_table(
            ("ID", "DATE", "OUTLET", "TITLE", "TOPIC", "MENTIONS", "THEMES"),
            [
                (
                    c.id,
                    c.published_on.isoformat(),
                    trim(c.outlet, 24),
                    trim(c.title or c.url, 50),
                    c.topic or "-",
                    ", ".join(m) or "-",
                    ", ".join(t) or "-",
                )
                for c, m, t in rows
            ],
        )
    )
    counts = {name: sum(name in m for _, m, _ in rows) for name in mentions.competitors.names}
    shown = ", ".join(f"{name} {n}" for name, n in counts.items())
    echo(f"\n{len(rows)} clip(s)" + (f"; mentions: {shown}." if shown else "."))


@clips.command("import")
@import_options
@pass_app
def import_(app: App, file: Path, skip_bad: bool, as_json: bool) -> None:
    """Add the clips of a CSV file.

    Header: url,outlet,date,title,topic,summary (only url is required; an empty date is
    today). If any row is bad nothing is imported, unless --skip-bad; articles already clips
    are skipped and reported."""
    from content_queue.coverage import ClipStore
    from content_queue.coverage_csv import parse_clips_csv

    rows = parse_clips_csv(
        file, today=local_today(app), created_by=app.user, limits=app.settings.imports
    )
    store = ClipStore(app.sessions, clock=app.clock)
    run_import(
        file,
        rows,
        store.add_many,
        noun="clip",
        skip_bad=skip_bad,
        as_json=as_json,
        describe=_describe,
    )


@clips.command("poll")
@click.argument("name", required=False)
@click.option(
    "--now", is_flag=True, help="Poll even if its interval has not passed since the last poll."
)
@pass_app
def poll(app: App, name: str | None, now: bool) -> None:
    """Poll the coverage feeds that are due (or NAME) once; their new entries become clips."""
    from ..intake.coverage import make_coverage_poller

    feeds = list(app.settings.coverage_feeds)
    if not feeds:
        echo("No coverage feeds. Add a [[coverage_feeds]] table to the configuration.")
        return
    chosen = [f for f in feeds if name is None or f.name == name]
    if not chosen:
        known = ", ".join(f.name for f in feeds)
        raise UsageError(f"no coverage feed named {name!r}; the coverage feeds are: {known}")
    poller = make_coverage_poller(app.settings, app.engine, clock=app.clock, logger=quiet_logger())
    due = [f for f in chosen if now or poller.due(f)]
    if not due:
        echo(
            f"{name}: not due yet (use --now to poll it anyway)."
            if name is not None
            else "No coverage feed is due (use --now to poll them anyway)."
        )
        return
    outcomes = poller.poll_many(due)
    for outcome in outcomes:
        echo(outcome.describe())
    if any(o.status == "error" for o in outcomes):
        raise click.exceptions.Exit(1)
