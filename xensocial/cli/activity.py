"""`xensocial activity ...`: the communications programme's work beyond social posts.

Press releases issued, interviews and analyst briefings held, member content published and
events: the monthly status report counts them next to the posts. An activity is one per kind,
day and title, so recording (or importing) the same one twice adds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..tables import format_table, trim
from .app import App, pass_app
from .clips import import_options, limit_option, month_option, month_range, parse_day, run_import
from .output import echo, emit_json

if TYPE_CHECKING:
    from content_queue.coverage import ActivityView

__all__ = ["activity"]

KINDS = "press-release, interview, analyst-briefing, member-content, event"


def _describe(activity: ActivityView) -> str:
    where = f", {activity.outlet}" if activity.outlet else ""
    return f"{activity.id}: {activity.kind} {activity.title!r} ({activity.happened_on.isoformat()}{where})"


@click.group()
def activity() -> None:
    """Press releases, interviews, analyst briefings, member content and events."""


@activity.command("add")
@click.option("--kind", required=True, help=f"What it was: {KINDS}.")
@click.option("--date", "day", required=True, help="When: 2026-03-02, today, yesterday, -3d, +2d.")
@click.option(
    "--title", required=True, help="What it was called (the release's headline, the event's name)."
)
@click.option("--url", help="Where it can be read or seen.")
@click.option("--outlet", default="", help="The publication, analyst firm or member involved.")
@click.option("--note", default="", help="Anything worth remembering for the report.")
@click.option("--json", "as_json", is_flag=True, help="Print the new activity as JSON.")
@pass_app
def add(
    app: App,
    kind: str,
    day: str,
    title: str,
    url: str | None,
    outlet: str,
    note: str,
    as_json: bool,
) -> None:
    """Record one activity; prints its id."""
    from content_queue.coverage import ActivityStore, NewActivity

    new = NewActivity(
        kind=kind,
        happened_on=parse_day(app, day, "--date"),
        title=title,
        url=url,
        outlet=outlet,
        note=note,
        created_by=app.user,
    )
    recorded = ActivityStore(app.sessions, clock=app.clock).add(new)
    if as_json:
        emit_json(recorded.as_dict())
    else:
        echo(f"Added activity {_describe(recorded)}")


@activity.command("list")
@month_option("activities")
@click.option("--kind", help=f"Only this kind: {KINDS}.")
@limit_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of activities.")
@pass_app
def list_(app: App, month: str | None, kind: str | None, limit: int, as_json: bool) -> None:
    """List activities, newest first."""
    from content_queue.coverage import ActivityStore

    start, end = month_range(month)
    found = ActivityStore(app.sessions, clock=app.clock).list_activities(
        start=start, end=end, kind=kind, limit=limit
    )
    if as_json:
        emit_json([a.as_dict() for a in found])
        return
    if not found:
        echo("No activities." if month is None else f"No activities in {month}.")
        return
    echo(
        format_table(
            ("ID", "DATE", "KIND", "TITLE", "OUTLET", "URL"),
            [
                (
                    a.id,
                    a.happened_on.isoformat(),
                    a.kind,
                    trim(a.title, 50),
                    trim(a.outlet, 24) or "-",
                    trim(a.url or "-", 50),
                )
                for a in found
            ],
        )
    )
    kinds = {k: sum(a.kind == k for a in found) for k in dict.fromkeys(a.kind for a in found)}
    noun = "activity" if len(found) == 1 else "activities"
    echo(f"\n{len(found)} {noun}: " + ", ".join(f"{n} {k}" for k, n in kinds.items()) + ".")


@activity.command("import")
@import_options
@pass_app
def import_(app: App, file: Path, skip_bad: bool, as_json: bool) -> None:
    """Record the activities of a CSV file.

    Header: kind,date,title,url,outlet,note (kind, date and title are required; dates as
    YYYY-MM-DD). If any row is bad nothing is imported, unless --skip-bad; activities already
    recorded are skipped and reported."""
    from content_queue.coverage import ActivityStore
    from content_queue.coverage_csv import parse_activities_csv

    rows = parse_activities_csv(file, created_by=app.user, limits=app.settings.imports)
    store = ActivityStore(app.sessions, clock=app.clock)
    run_import(
        file,
        rows,
        store.add_many,
        noun="activity",
        skip_bad=skip_bad,
        as_json=as_json,
        describe=_describe,
    )
