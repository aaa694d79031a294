"""Gather one `Report` for a period, in one read transaction.

Every section is counted by the database (GROUP BY, SUM, COUNT) and only the small results come
back; the few texts read in Python (the period's clips and distinct posted items) are read once
and matched against both the competitors' and the themes' keywords. One transaction makes the
report a consistent snapshot even while the daemon keeps posting. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Connection, Engine

from content_queue.db import plan_for_cached_reads
from content_queue.schema import Delivery

from ..config.report import ReportConfig
from .channels import channels_with_rows
from .engagement import gather_engagement
from .followers import gather_followers
from .model import Report
from .periods import Period
from .posts import gather_posts, posting_channels
from .press import clip_texts, gather_clips, gather_voice
from .problems import gather_problems
from .programme import gather_programme
from .themes import gather_themes
from .trends import gather_trends

__all__ = ["begin_snapshot", "build_report"]


def begin_snapshot(conn: Connection) -> None:
    """Start the one transaction every query of the report reads in: a consistent view.

    PostgreSQL: REPEATABLE READ (one snapshot for all statements, not one each) and READ ONLY.
    Its planner's default cost of a random read (4.0) assumes spinning disks; with 1.1, the
    usual setting for SSDs and a cached database, it walks the indexes the queries are written
    for instead of hashing every engagement sample ever taken (580 ms -> 58 ms on a year of
    data, bench/report.py). Both settings last for this transaction only.

    SQLite: a deferred BEGIN, a read transaction that takes no write lock (the queue's own
    engine begins its transactions itself, and IMMEDIATE)."""
    conn.begin()  # the queue's own SQLite engine emits its BEGIN IMMEDIATE here
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        plan_for_cached_reads(conn)
    elif not getattr(conn.connection.dbapi_connection, "in_transaction", True):
        conn.exec_driver_sql("BEGIN")  # pysqlite itself would not begin before a SELECT


def build_report(
    engine: Engine,
    period: Period,
    config: ReportConfig,
    channels: Sequence[str],
    *,
    now: datetime,
) -> Report:
    """The report for `period`; `channels` (the configured ones, in order) are listed even
    when they have nothing to show."""
    previous, year_before = period.previous(), period.year_before()
    with engine.connect() as conn:
        begin_snapshot(conn)
        posted = channels_with_rows(conn, Delivery.channel)
        posts = gather_posts(conn, period, previous, channels, posted)
        in_period = posting_channels(posts, posted)
        texts = clip_texts(conn, period)
        return Report(
            title=config.title,
            project=config.project,
            period=period,
            previous=previous,
            year_before=year_before,
            generated_at=now,
            partial=now < period.end,
            posts=posts,
            engagement=gather_engagement(conn, period, posts, in_period),
            followers=gather_followers(conn, period, channels),
            clips=gather_clips(conn, period, year_before),
            voice=gather_voice(conn, period, texts, config.competitors, config.project),
            themes=gather_themes(conn, period, texts, config.themes, in_period),
            programme=gather_programme(conn, period, in_period),
            problems=gather_problems(conn, period, posted),
            trends=gather_trends(conn, period, posted, config.competitors, config.project),
        )
