"""CSV files of press clips and programme activities -> `NewClip`s and `NewActivity`s.

Read by `csvimport.iter_rows`, so these files follow every rule of the item import (a header
row, any column order, a UTF-8 byte-order mark and CRLF accepted, the line number of every bad
row); each row is checked here as the store will check it, so a file's every problem is shown
at once, before anything is written.

    url,outlet,date,title,topic,summary      (clips: only url is required; an empty date is
                                              today, an empty outlet the URL's host)
    kind,date,title,url,outlet,note          (activities: kind, date and title are required)

Dates are calendar dates, `2026-03-02`; an ISO date-time (`2026-03-02T10:00:00Z`, as some
spreadsheets export them) counts as the date written in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from .coverage_records import ACTIVITY_KINDS, NewActivity, NewClip, check_activity, check_clip
from .csvimport import iter_rows
from .csvrecords import DEFAULT_LIMITS, CsvLimits
from .errors import InvalidItem, RowError

__all__ = [
    "ACTIVITY_COLUMNS",
    "CLIP_COLUMNS",
    "parse_activities_csv",
    "parse_clips_csv",
    "parse_day",
]

CLIP_COLUMNS = ("url", "outlet", "date", "title", "topic", "summary")
ACTIVITY_COLUMNS = ("kind", "date", "title", "url", "outlet", "note")


def parse_day(value: str, name: str = "date") -> date:
    """The calendar date `value` names (YYYY-MM-DD, or the date of an ISO date-time)."""
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("z", "Z")).date()
    except ValueError:
        raise InvalidItem(
            name, f"{value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-03-02"
        ) from None


def parse_clips_csv(
    path: Path, *, today: date, created_by: str, limits: CsvLimits = DEFAULT_LIMITS
) -> Iterator[tuple[int, NewClip] | RowError]:
    """The clips of the CSV file at `path` with their line numbers, or a RowError for each bad
    row, read as they are asked for (`csvimport.iter_rows`). `today` (in the configuration's
    zone) is the date of a row without one."""

    def build(record: dict[str, str]) -> NewClip:
        if not record["url"]:
            raise InvalidItem("url", "missing")
        new = NewClip(
            url=record["url"],
            published_on=parse_day(record["date"]) if record["date"] else today,
            title=record["title"],
            summary=record["summary"],
            outlet=record["outlet"],
            topic=record["topic"],
            source="csv",
            created_by=created_by,
        )
        return check_clip(new, today)

    return iter_rows(path, columns=CLIP_COLUMNS, required=("url",), build=build, limits=limits)


def parse_activities_csv(
    path: Path, *, created_by: str, limits: CsvLimits = DEFAULT_LIMITS
) -> Iterator[tuple[int, NewActivity] | RowError]:
    """The activities of the CSV file at `path` with their line numbers, or a RowError for
    each bad row, read as they are asked for (`csvimport.iter_rows`)."""

    def build(record: dict[str, str]) -> NewActivity:
        for name in ("kind", "date", "title"):
            if not record[name]:
                hint = f" (one of {', '.join(ACTIVITY_KINDS)})" if name == "kind" else ""
                raise InvalidItem(name, f"missing{hint}")
        new = NewActivity(
            kind=record["kind"],
            happened_on=parse_day(record["date"]),
            title=record["title"],
            url=record["url"] or None,
            outlet=record["outlet"],
            note=record["note"],
            source="csv",
            created_by=created_by,
        )
        return check_activity(new)

    return iter_rows(
        path,
        columns=ACTIVITY_COLUMNS,
        required=("kind", "date", "title"),
        build=build,
        limits=limits,
    )
