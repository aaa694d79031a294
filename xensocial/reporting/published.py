"""Published posts as rows: the one query the Atom feed and the CSV export both read.

A post is a delivery in state `published`, with the words it went out with: its record
(`deliveries.posted_*`, written when it was published), never its item's current fields, which
a later `queue edit` may change. Both exports filter it the same way (a channel, a time window
on `published_at`), so the query is written once here; the Atom feed reads the newest N of it,
the CSV export streams all of it, oldest first. Only the delivery table is read.

Also here: whether a channel name is worth exporting, since a channel removed from the
configuration still has its history in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Select, exists, select
from sqlalchemy.engine import Connection, Row

from content_queue.schema import Delivery, DeliveryState, FollowerSample

__all__ = ["AnyRow", "AnySelect", "PublishedPost", "channel_has_history", "published_posts"]

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"  # a SELECT of any columns
AnyRow: TypeAlias = "Row[*tuple[Any, ...]]"


@dataclass(frozen=True)
class PublishedPost:
    """One post as it went out: the delivery's outcome and its record of what it said (`text`
    as rendered for the network, `url` as posted, UTM parameters included); `category` is the
    item's when it went out."""

    delivery_id: int
    idempotency_key: str
    channel: str
    published_at: datetime
    remote_id: str | None
    remote_url: str | None
    item_id: int
    url: str
    title: str
    text: str
    category: str
    tags: tuple[str, ...]

    @classmethod
    def of(cls, row: AnyRow) -> PublishedPost:
        m = row._mapping
        return cls(
            delivery_id=m["delivery_id"],
            idempotency_key=m["idempotency_key"],
            channel=m["channel"],
            published_at=m["published_at"],
            remote_id=m["remote_id"],
            remote_url=m["remote_url"],
            item_id=m["item_id"],
            url=m["url"] or "",
            title=m["title"] or "",
            text=m["text"] or "",
            category=m["category"] or "",
            tags=tuple(m["tags"] or ()),
        )


def published_posts(
    *,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    newest_first: bool = False,
) -> AnySelect:
    """The published posts (of `channel`, published in [since, until)), ordered by time.

    Rows carry the columns `PublishedPost.of` reads."""
    query = select(
        Delivery.id.label("delivery_id"),
        Delivery.idempotency_key,
        Delivery.channel,
        Delivery.published_at,
        Delivery.remote_id,
        Delivery.remote_url,
        Delivery.item_id,
        Delivery.posted_url.label("url"),
        Delivery.posted_title.label("title"),
        Delivery.posted_text.label("text"),
        Delivery.sort_category.label("category"),
        Delivery.posted_tags.label("tags"),
    ).where(Delivery.state == DeliveryState.PUBLISHED.value, Delivery.published_at.is_not(None))
    if channel is not None:
        query = query.where(Delivery.channel == channel)
    if since is not None:
        query = query.where(Delivery.published_at >= since)
    if until is not None:
        query = query.where(Delivery.published_at < until)
    if newest_first:
        return query.order_by(Delivery.published_at.desc(), Delivery.id.desc())
    return query.order_by(Delivery.published_at.asc(), Delivery.id.asc())


def channel_has_history(conn: Connection, channel: str) -> bool:
    """Whether the database holds deliveries or follower counts of `channel` (a channel no
    longer configured can still be exported)."""
    return bool(
        conn.scalar(
            select(
                exists().where(Delivery.channel == channel)
                | exists().where(FollowerSample.channel == channel)
            )
        )
    )
