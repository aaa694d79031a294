"""What editorial selection reads of many channels together: the events to come (with the
reminders made of them) and the evergreen originals (with their history and engagement).

`EditorialStore` reads them for one channel (a slot's choice, `editorial_store`), `schedule`
for every channel at once (`forecast_store`): the same statements, with `channel IN (...)`,
each read from the side that stays small however long the history (the events to come, the
evergreen items), never from a channel's posts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from .events import Event, reminder_key, reminders_made
from .recycling import Evergreen
from .schema import Delivery, DeliveryState, EngagementSample, Item, ItemState
from .slot_query import Unindexed, event_of, event_window

__all__ = [
    "channel_evergreens",
    "channel_events",
    "chunks",
    "engagement_scores",
    "live",
    "with_made",
]

CHUNK = 5000  # values per IN list (well under SQLite's 32,766 and PostgreSQL's 65,535)


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    """`values` in lists short enough for one IN (...)."""
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def channel_events(
    s: Session,
    wanted: Mapping[str, tuple[Sequence[timedelta], datetime]],
    now: datetime,
) -> dict[str, list[Event]]:
    """The events to come of each channel of `wanted` (channel -> reminder offsets, end of the
    period), within its largest offset of that end, soonest first, with when their own item
    went out there (None: not yet) and the reminders already made (`with_made`).

    Read from the events' side (`slot_query.event_window`), so the rows read are the events to
    come, whatever the channels' history."""
    wanted = {c: (offsets, until) for c, (offsets, until) in wanted.items() if offsets}
    if not wanted:
        return {}
    horizon = {c: until + max(offsets) for c, (offsets, until) in wanted.items()}
    posted = case(
        (Delivery.state == DeliveryState.PUBLISHED.value, Delivery.published_at), else_=None
    )
    found: list[Event] = []
    for chunk in chunks(sorted(horizon)):
        # The columns an `Event` holds, not whole `Item`s: a month's calendar of fifty
        # channels reads some 300 events, and the ORM's entities cost ten times the rows.
        query = (
            select(
                Item.id,
                Item.event_at,
                Item.title,
                Item.url,
                Item.category,
                Item.priority,
                Delivery.channel,
                posted.label("published_at"),
            )
            .join(Delivery, Delivery.item_id == Item.id)
            .where(
                *event_window(now, max(horizon.values())),
                Unindexed(Delivery.channel).in_(chunk),  # from the events to come, not the posts
            )
        )
        for item in s.execute(query):
            if item.event_at is not None and item.event_at <= horizon[item.channel]:
                found.append(event_of(item, item.id, item.channel, item.published_at))
    made = with_made(s, found, {c: offsets for c, (offsets, _) in wanted.items()})
    out: dict[str, list[Event]] = defaultdict(list)
    for e in sorted(made, key=lambda e: (e.event_at, e.item_id)):
        out[e.channel].append(e)
    return out


def with_made(
    s: Session, events: Sequence[Event], offsets: Mapping[str, Sequence[timedelta]]
) -> list[Event]:
    """`events` with the reminders already made of each on its channel, at the offsets of
    that channel (found by their delivery keys, see `events.reminder_key`)."""
    keys = [reminder_key(e.item_id, o, e.channel) for e in events for o in offsets[e.channel]]
    existing: set[str] = set()
    for chunk in chunks(keys):
        existing.update(
            s.scalars(select(Delivery.idempotency_key).where(Delivery.idempotency_key.in_(chunk)))
        )
    return [replace(e, made=reminders_made(existing, e, offsets[e.channel])) for e in events]


def live(now: datetime) -> list[ColumnElement[bool]]:
    """An approved item that has not expired at `now` and whose embargo has passed."""
    return [
        Item.state == ItemState.APPROVED.value,
        or_(Item.expires_at.is_(None), Item.expires_at > now),
        or_(Item.not_before.is_(None), Item.not_before <= now),
    ]


def channel_evergreens(
    s: Session, names: Sequence[str], now: datetime
) -> dict[str, list[Evergreen]]:
    """The evergreen originals that went out on each channel of `names` and may still be posted
    (approved, not expired, not embargoed), with their history there (recycles made and
    posted) and their engagement (`engagement_scores`)."""
    originals: dict[tuple[int, str], tuple[Any, datetime | None]] = {}
    for chunk in chunks(sorted(names)):
        query = (
            select(
                Item.id, Item.category, Item.title, Item.url, Item.priority, Delivery.channel,
                func.max(Delivery.published_at),
            )
            .join(Delivery, Delivery.item_id == Item.id)
            .where(
                Item.evergreen.is_(True),
                Unindexed(Item.recycled_from).is_(None),
                *live(now),
                Unindexed(Delivery.channel).in_(chunk),  # from the evergreen items, not the posts
                Delivery.state == DeliveryState.PUBLISHED.value,
            )
            .group_by(Item.id, Item.category, Item.title, Item.url, Item.priority, Delivery.channel)
        )  # fmt: skip
        for row in s.execute(query):
            originals[(row[0], row[5])] = (row, row[6])
    if not originals:
        return {}
    ids = sorted({item_id for item_id, _ in originals})
    history: dict[tuple[int, str], tuple[int, datetime | None, datetime | None]] = {}
    none: tuple[int, datetime | None, datetime | None] = (0, None, None)
    for chunk in chunks(ids):
        recycles = (
            select(
                Item.recycled_from,
                Delivery.channel,
                func.count(func.distinct(Item.id)),
                func.max(Item.created_at),
                func.max(Delivery.published_at),
            )
            .join(Delivery, Delivery.item_id == Item.id)
            .where(Item.recycled_from.in_(chunk), Unindexed(Delivery.channel).in_(list(names)))
            .group_by(Item.recycled_from, Delivery.channel)
        )
        for orig, channel, n, last_made, last_posted in s.execute(recycles):
            if orig is not None:
                history[(orig, channel)] = (n, last_made, last_posted)
    scores = engagement_scores(s, ids)
    out: dict[str, list[Evergreen]] = defaultdict(list)
    for (item_id, channel), (row, published) in originals.items():
        repeats, made, posted = history.get((item_id, channel), none)
        out[channel].append(
            Evergreen(
                item_id=item_id,
                channel=channel,
                category=row.category,
                last_seen=max(t for t in (published, made, posted) if t is not None),
                repeats=repeats,
                score=scores.get(item_id, 0.0),
                title=row.title,
                url=row.url,
                priority=row.priority,
            )
        )
    return out


def engagement_scores(s: Session, originals: Sequence[int]) -> dict[int, float]:
    """Each original's engagement score: the mean, over its own and its recycles' posts on
    every channel that were read, of each post's interactions at its latest reading (a figure
    the network did not give counts 0), with the latest readings found and summed in SQL."""
    origin = func.coalesce(Item.recycled_from, Item.id)
    # A reading's interactions: the figures the network gave, summed (none given: 0).
    interactions = (
        func.coalesce(EngagementSample.likes, 0)
        + func.coalesce(EngagementSample.reposts, 0)
        + func.coalesce(EngagementSample.replies, 0)
        + func.coalesce(EngagementSample.quotes, 0)
    )
    totals: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks(originals):
        posts = (
            select(Delivery.id.label("delivery_id"), origin.label("origin"))
            .join(Item, Item.id == Delivery.item_id)
            .where(
                or_(Item.id.in_(chunk), Item.recycled_from.in_(chunk)),
                # From these items, not from every post: with statistics SQLite would walk
                # the published deliveries of every channel.
                Unindexed(Delivery.state) == DeliveryState.PUBLISHED.value,
            )
            .subquery()
        )
        latest = (
            select(
                EngagementSample.delivery_id, func.max(EngagementSample.age_seconds).label("age")
            )
            .where(EngagementSample.delivery_id.in_(select(posts.c.delivery_id)))
            .group_by(EngagementSample.delivery_id)
            .subquery()
        )
        query = (
            select(posts.c.origin, interactions)
            .join(latest, latest.c.delivery_id == posts.c.delivery_id)
            .join(
                EngagementSample,
                (EngagementSample.delivery_id == latest.c.delivery_id)
                & (EngagementSample.age_seconds == latest.c.age),
            )
        )
        for orig, total in s.execute(query):
            totals[orig].append(int(total))
    return {orig: sum(ts) / len(ts) for orig, ts in totals.items()}
