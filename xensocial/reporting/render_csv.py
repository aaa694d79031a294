"""The report as one CSV in long form, for spreadsheets and other reporting tools.

One table, `section,key,metric,value`, so that every section fits the same four columns and a
spreadsheet's pivot table can rebuild any view: `section` names the table (`posts_by_channel`,
`engagement_by_channel`, `followers`, `voice`, ...), `key` the row inside it (a channel, a
category, a rank...), `metric` the figure and `value` the figure itself. A missing figure is an
empty value, never 0. Cells are written by `csv_writer.CsvWriter`, the program's one CSV writer:
a text a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is
prefixed with `'`, since titles come from feeds. docs/reports.md lists the sections and their
metrics.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from typing import Any

from .board import notices
from .csv_writer import CsvWriter
from .model import Counters, Report

__all__ = ["csv_rows", "render_csv"]


def _flat(record: Any, skip: tuple[str, ...] = ()) -> Iterator[tuple[str, object]]:
    """(field, value) of a dataclass record, with nested counters spread out."""
    for f in fields(record):
        if f.name in skip:
            continue
        value = getattr(record, f.name)
        if isinstance(value, Counters):
            yield from _flat(value)
        elif not (is_dataclass(value) or isinstance(value, tuple)):
            yield f.name, value


Row = tuple[str, str, str, object]


def _records(section: str, records: Any, key: str) -> Iterator[Row]:
    """One row per field of each record; `key` names the field that identifies the record
    (or "#" to number the records from 1)."""
    for n, record in enumerate(records, start=1):
        name = str(n) if key == "#" else str(getattr(record, key))
        for metric, value in _flat(record, skip=() if key == "#" else (key,)):
            yield section, name, metric, value


def csv_rows(report: Report) -> Iterator[Row]:
    period = report.period
    yield from (
        ("report", "", metric, value)
        for metric, value in (
            ("title", report.title), ("project", report.project), ("period", period.label),
            ("zone", period.zone), ("first_day", period.first_day),
            ("end_day_exclusive", period.end_day), ("start_utc", period.start),
            ("end_utc", period.end), ("generated_at", report.generated_at),
            ("partial", report.partial), *(("notice", n) for n in notices(report)),
        )
    )  # fmt: skip
    p = report.posts
    yield from (
        ("posts", "", m, v)
        for m, v in (("posts", p.total), ("items", p.items), ("previous_posts", p.previous_total))
    )
    yield from _records("posts_by_channel", p.by_channel, "channel")
    yield from _records("posts_by_category", p.by_category, "category")
    e = report.engagement
    yield from _records("engagement_by_channel", (*e.by_channel, e.total), "channel")
    yield from _records("top_posts", e.top_posts, "rank")
    f = report.followers
    yield from _records("followers", (*f.rows, f.total), "channel")
    for series in f.series:
        for day, followers in series.points:
            yield "follower_series", series.channel, day.isoformat(), followers
    c = report.clips
    yield from (("clips", "", m, v) for m, v in _flat(c))
    yield from _records("clips_by_outlet", c.by_outlet, "name")
    yield from _records("clips_by_topic", c.by_topic, "name")
    v = report.voice
    for row in v.rows:
        yield from (("voice", row.competitor, m, value) for m, value in _flat(row, ("competitor",)))
        for n in row.networks:
            yield "voice", row.competitor, f"posts_on_{n.network}", n.posts
            yield "voice", row.competitor, f"share_on_{n.network}", n.share
    yield from (("voice_total", "", m, value) for m, value in _flat(v))
    yield from _records("themes", report.themes.rows, "theme")
    g = report.programme
    yield from _records("press_releases", g.press_releases, "#")
    yield from _records("activities_by_kind", g.by_kind, "kind")
    yield from _records("activities", g.activities, "#")
    yield from _records("failed_deliveries", report.problems.deliveries, "#")
    yield from _records("lost_slots", report.problems.slots, "#")
    t = report.trends
    yield from _records("trends", t.months, "month")
    for series in t.followers:
        for day, followers in series.points:
            yield "trend_followers", series.channel, day.isoformat()[:7], followers
    for voice in t.voice:
        for day, value in voice.points:
            yield "trend_voice", voice.competitor, day.isoformat()[:7], value
    for day, clips in (*t.clips_last_year, *t.clips_this_year):
        yield "trend_clips", str(day.year), day.isoformat()[:7], clips


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(("section", "key", "metric", "value"))
    for row in csv_rows(report):
        writer.writerow(row)
    return out.getvalue()
