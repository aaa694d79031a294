"""`export csv`: posts, engagement samples or follower samples as CSV, for other tools.

One row per published post (as it went out: the delivery's record of its title, link and text,
see `published`), per engagement sample or per follower sample, with a header row;
times in ISO 8601 UTC (`2026-03-02T09:30:00Z`); a figure the network did not give is an empty
cell, never 0, so a spreadsheet's averages are not dragged down by counts nobody made. Rows are
streamed from the database to the file (a server-side cursor on PostgreSQL), so a year of
samples never sits in memory. Filters: a channel, and a window [since, until) on the time the
row is about (published, or taken). Written by `csv_writer.CsvWriter`, the program's one CSV
writer: a text cell that a spreadsheet would run as a formula (a title from a feed starting with
`=`, `+`, `-` or `@`) is prefixed with `'`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute

from content_queue.schema import Delivery, EngagementSample, FollowerSample

from .csv_writer import CsvWriter
from .published import AnyRow, AnySelect, PublishedPost, published_posts

__all__ = ["KINDS", "Window", "export_csv"]

_BATCH = 1000  # rows fetched at a time from a server-side cursor


@dataclass(frozen=True)
class Window:
    """What to export: a channel (None: all) and a time window (either end open)."""

    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(
        self, query: AnySelect, channel: InstrumentedAttribute[str], at: InstrumentedAttribute[Any]
    ) -> AnySelect:
        if self.channel is not None:
            query = query.where(channel == self.channel)
        if self.since is not None:
            query = query.where(at >= self.since)
        if self.until is not None:
            query = query.where(at < self.until)
        return query


@dataclass(frozen=True)
class _Kind:
    header: tuple[str, ...]
    query: Callable[[Window], AnySelect]
    row: Callable[[AnyRow], Iterable[object]]


def _posts_query(window: Window) -> AnySelect:
    return published_posts(channel=window.channel, since=window.since, until=window.until)


def _post_row(row: AnyRow) -> Iterable[object]:
    p = PublishedPost.of(row)
    return (
        _time(p.published_at),
        p.channel,
        p.item_id,
        p.title,
        p.url,
        p.category,
        ";".join(p.tags),
        p.remote_id,
        p.remote_url,
        p.text,
    )


def _engagement_query(window: Window) -> AnySelect:
    query = (
        select(
            EngagementSample.taken_at,
            EngagementSample.channel,
            Delivery.item_id,
            Delivery.remote_id,
            Delivery.published_at,
            EngagementSample.age_seconds,
            EngagementSample.found,
            EngagementSample.likes,
            EngagementSample.reposts,
            EngagementSample.replies,
            EngagementSample.quotes,
            EngagementSample.impressions,
            EngagementSample.clicks,
            EngagementSample.bookmarks,
        )
        .join(Delivery, Delivery.id == EngagementSample.delivery_id)
        .order_by(EngagementSample.taken_at, EngagementSample.id)
    )
    return window.apply(query, EngagementSample.channel, EngagementSample.taken_at)


def _engagement_row(row: AnyRow) -> Iterable[object]:
    taken_at, channel, item_id, remote_id, published_at, age, found, *counters = row
    return (
        _time(taken_at),
        channel,
        item_id,
        remote_id,
        _time(published_at),
        age,
        "true" if found else "false",
        *counters,
    )


def _followers_query(window: Window) -> AnySelect:
    query = select(
        FollowerSample.taken_at, FollowerSample.channel, FollowerSample.followers
    ).order_by(FollowerSample.taken_at, FollowerSample.id)
    return window.apply(query, FollowerSample.channel, FollowerSample.taken_at)


def _followers_row(row: AnyRow) -> Iterable[object]:
    taken_at, channel, followers = row
    return (_time(taken_at), channel, followers)


KINDS: dict[str, _Kind] = {
    "posts": _Kind(
        (
            "published_at",
            "channel",
            "item_id",
            "title",
            "url",
            "category",
            "tags",
            "remote_id",
            "remote_url",
            "text",
        ),
        _posts_query,
        _post_row,
    ),
    "engagement": _Kind(
        (
            "taken_at",
            "channel",
            "item_id",
            "remote_id",
            "published_at",
            "age_seconds",
            "found",
            "likes",
            "reposts",
            "replies",
            "quotes",
            "impressions",
            "clicks",
            "bookmarks",
        ),
        _engagement_query,
        _engagement_row,
    ),
    "followers": _Kind(("taken_at", "channel", "followers"), _followers_query, _followers_row),
}
"""What `--what` accepts: each kind's columns, query and row layout."""


def export_csv(conn: Connection, what: str, out: IO[str], window: Window = Window()) -> int:
    """Write the `what` rows within `window` to `out` as CSV; the number of rows written."""
    kind = KINDS[what]
    writer = CsvWriter(out)
    writer.writerow(kind.header)
    written = 0
    for row in _stream(conn, kind.query(window)):
        # None is an empty cell: a count the network did not give stays empty.
        writer.writerow(kind.row(row))
        written += 1
    return written


def _stream(conn: Connection, query: AnySelect) -> Iterator[AnyRow]:
    result = conn.execution_options(stream_results=True, yield_per=_BATCH).execute(query)
    with result:
        yield from result


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
