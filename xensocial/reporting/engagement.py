"""Engagement of the posts published in a period: totals per channel and the top 10 posts.

Each post counts with its latest reading: the sample at the highest age (1 h, 24 h, 7 d, 30 d)
in which the network still found it. A post deleted after its 24 h reading keeps the figures it
had then; a post never read counts in `posts` but not in `posts_read`. Sums are SQL `SUM`, which
skips nulls and is null when every value is null: exactly "— when the network gives no such
figure". Everything is aggregated in the database; only the ten top posts come back as rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from content_queue.schema import Delivery, EngagementSample

from .channels import ChannelList
from .model import ChannelEngagement, Counters, EngagementSection, PostsSection, TopPost
from .periods import Period
from .posts import published_between, published_in

__all__ = [
    "ALL_CHANNELS",
    "TOP_POSTS",
    "channels_by_interactions",
    "gather_engagement",
    "interactions_by_stretch",
]

TOP_POSTS = 10
ALL_CHANNELS = "all channels"
_E = EngagementSample
_COUNTERS = (
    _E.likes,
    _E.reposts,
    _E.replies,
    _E.quotes,
    _E.impressions,
    _E.clicks,
    _E.bookmarks,
)


def _latest_reading() -> ColumnElement[bool]:
    """Joins a post (`Delivery`) to its latest reading in which the network still found it.

    The highest such age is a correlated seek on the `(delivery_id, age_seconds)` unique index,
    and the reading itself a second seek on it: driven by the period's posts, never by every
    sample ever taken (which both SQLite and PostgreSQL would otherwise scan or hash)."""
    inner = aliased(_E)
    latest_age = (
        select(func.max(inner.age_seconds))
        .where(inner.delivery_id == Delivery.id, inner.found.is_(True))
        .correlate(Delivery)
        .scalar_subquery()
    )
    return and_(_E.delivery_id == Delivery.id, _E.age_seconds == latest_age)


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def gather_engagement(
    conn: Connection, period: Period, posts: PostsSection, posted: ChannelList
) -> EngagementSection:
    """`posted`: the channels with posts in the period (`posts.posting_channels`)."""
    sums = {
        channel: (int(read), Counters.of(*(_int(v) for v in values)))
        for channel, read, *values in conn.execute(
            select(Delivery.channel, func.count(), *(func.sum(c) for c in _COUNTERS))
            .select_from(Delivery)
            .join(_E, _latest_reading())
            .where(published_in(period, posted))
            .group_by(Delivery.channel)
        )
    }
    rows = tuple(
        ChannelEngagement(c.channel, c.posts, *sums.get(c.channel, (0, Counters())))
        for c in posts.by_channel
    )
    total = ChannelEngagement(ALL_CHANNELS, posts.total, 0, Counters())
    for row in rows:
        total = ChannelEngagement(
            ALL_CHANNELS,
            total.posts,
            total.posts_read + row.posts_read,
            total.counters.plus(row.counters),
        )
    return EngagementSection(rows, total, _top_posts(conn, period, posted))


def interactions_by_stretch(
    conn: Connection, bounds: Sequence[datetime], posted: ChannelList
) -> list[tuple[int, int | None]]:
    """For each stretch between consecutive `bounds` (UTC, ascending): the posts published in
    it with at least one interaction figure, and their interactions (None: no such post).

    One query over the whole span, each post counted with its latest reading as in the
    engagement section, and put in its stretch by a CASE on `published_at`: the trend chart's
    twelve months cost one pass over a year's posts, not twelve."""
    figures = (_E.likes, _E.reposts, _E.replies, _E.quotes)
    stretch = case(
        *((Delivery.published_at < end, n) for n, end in enumerate(bounds[1:])),
        else_=len(bounds) - 1,
    )
    with_figure = or_(*(c.is_not(None) for c in figures))
    interactions = sum((func.coalesce(c, 0) for c in figures[1:]), func.coalesce(figures[0], 0))
    out: list[tuple[int, int | None]] = [(0, None)] * (len(bounds) - 1)
    for n, posts, total in conn.execute(
        select(stretch, func.count(), func.sum(interactions))
        .select_from(Delivery)
        .join(_E, _latest_reading())
        .where(published_between(bounds[0], bounds[-1], posted), with_figure)
        .group_by(stretch)
    ):
        if 0 <= n < len(out):
            out[n] = (int(posts), _int(total))
    return out


def _top_posts(conn: Connection, period: Period, posted: ChannelList) -> tuple[TopPost, ...]:
    """The posts with the most interactions (likes + reposts + replies + quotes, a missing
    figure counting 0); posts with none of the four figures are not ranked. Ties: newest first."""
    likes, reposts, replies, quotes = (
        func.coalesce(c, 0) for c in (_E.likes, _E.reposts, _E.replies, _E.quotes)
    )
    interactions = likes + reposts + replies + quotes
    query = (
        select(
            Delivery.channel,
            Delivery.posted_title,  # what the post said, not what its item says now
            Delivery.posted_url,
            Delivery.remote_url,
            Delivery.published_at,
            *_COUNTERS,
        )
        .select_from(Delivery)
        .join(_E, _latest_reading())
        .where(
            published_in(period, posted),
            or_(*(c.is_not(None) for c in (_E.likes, _E.reposts, _E.replies, _E.quotes))),
        )
        .order_by(interactions.desc(), Delivery.published_at.desc(), Delivery.id.desc())
        .limit(TOP_POSTS)
    )
    top: list[TopPost] = []
    for channel, title, url, remote_url, published_at, *counters in conn.execute(query):
        assert published_at is not None  # published_in() asked for published posts only
        rank = len(top) + 1
        top.append(
            TopPost(
                rank,
                channel,
                title or url or "",
                url or "",
                remote_url,
                published_at,
                Counters.of(*counters),
            )
        )
    return tuple(top)


def channels_by_interactions(section: EngagementSection, limit: int) -> Sequence[ChannelEngagement]:
    """The `limit` channels with the most interactions (for the chart), ignoring channels with
    no figure at all."""
    known = [r for r in section.by_channel if r.counters.interactions is not None]
    return sorted(known, key=lambda r: (-(r.counters.interactions or 0), r.channel))[:limit]
