"""Posts published in a period: per channel and per category, counted by the database.

A post is one delivery: an item that went out on three channels is three posts (and one item).
It belongs to the period in which it was published (`published_at`, UTC, against the period's
UTC bounds).

Every "posts of the period" query names the channels that have deliveries (`posted`, from
`channels.channels_with_rows`), so an index on `(channel, [state,] published_at)` reads the
period's posts only, whatever the history kept (each year kept used to add a scan of every
delivery to each of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.engine import Connection

from content_queue.schema import Delivery, DeliveryState

from .channels import ChannelList
from .model import CategoryCount, ChannelCount, PostsSection, text_order
from .periods import Period

__all__ = ["gather_posts", "posting_channels", "published_between", "published_in"]


def published_between(start: datetime, end: datetime, posted: ChannelList) -> ColumnElement[bool]:
    """Deliveries published at or after `start` and before `end`; `posted` names every channel
    that has deliveries (see the module docstring: it is what lets the index serve the range)."""
    return (
        posted.holds(Delivery.channel)
        & (Delivery.state == DeliveryState.PUBLISHED.value)
        & (Delivery.published_at >= start)
        & (Delivery.published_at < end)
    )


def published_in(period: Period, posted: ChannelList) -> ColumnElement[bool]:
    return published_between(period.start, period.end, posted)


def posting_channels(posts: PostsSection, posted: ChannelList) -> ChannelList:
    """Of `posted`, the channels with posts in the period: all the period's other queries need
    to name."""
    return posted.only(c.channel for c in posts.by_channel if c.posts)


def gather_posts(
    conn: Connection,
    period: Period,
    previous: Period,
    channels: Sequence[str],
    posted: ChannelList,
) -> PostsSection:
    """`channels` (the configured ones) are listed even when they posted nothing; channels
    that posted but are no longer configured follow them. `previous` is the period just
    before (it ends where `period` starts), so one pass over both counts them. `posted`: every
    channel with deliveries."""
    assert previous.end == period.start, "the previous period must end where this one starts"
    now = case((Delivery.published_at >= period.start, 1), else_=0)
    counted: dict[str, int] = {}
    previous_total = 0
    for channel, in_period, in_both in conn.execute(
        select(Delivery.channel, func.sum(now), func.count())
        .where(published_between(previous.start, period.end, posted))
        .group_by(Delivery.channel)
    ):
        previous_total += in_both - in_period
        if in_period:
            counted[channel] = int(in_period)
    names = list(channels) + sorted(set(counted) - set(channels), key=text_order)
    by_channel = tuple(ChannelCount(name, counted.get(name, 0)) for name in names)
    by_category = sorted(
        (
            CategoryCount(category, posts, items)
            # The category each post went out in (a delivery's copy, which a later edit of
            # the item leaves as it was for posts already out), not the item's current one.
            for category, posts, items in conn.execute(
                select(Delivery.sort_category, func.count(), func.count(distinct(Delivery.item_id)))
                .where(published_in(period, posted))
                .group_by(Delivery.sort_category)
            )
        ),
        key=lambda c: (-c.posts, text_order(c.category)),
    )
    return PostsSection(
        total=sum(c.posts for c in by_channel),
        # An item has one category (unless it was recategorised between two of its posts,
        # when it counts in each category it went out in).
        items=sum(c.items for c in by_category),
        previous_total=int(previous_total),
        by_channel=by_channel,
        by_category=tuple(by_category),
    )
