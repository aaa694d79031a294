"""The metrics store: engagement and follower samples, appended and never overwritten.

Every reading of a network's counters becomes a new row with the time it was taken, so a
report can show how a post's likes grew or a channel's followers moved; nothing here updates or
deletes a sample. The store also records how many reads each network was charged for, because
the monthly budget of reads (`xensocial.metrics.budget`) is counted against what was really
spent, whatever process spent it (in `metrics_requests.requests`: reads, in the network's unit,
which is one a request except where the network bills per post, as X does). Like the rest of `content_queue`, it knows nothing of networks: a
network is a name, a post a delivery with a remote id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .db import Store
from .schema import Delivery, DeliveryState, EngagementSample, FollowerSample, MetricsRequest

__all__ = ["DueSample", "EngagementReading", "MetricsStore"]


@dataclass(frozen=True)
class DueSample:
    """A published post whose next engagement reading is due, at the age it stands for."""

    delivery_id: int
    channel: str
    remote_id: str
    published_at: datetime
    age: timedelta


@dataclass(frozen=True)
class EngagementReading:
    """What a network answered for one due sample (`found` False: it no longer has the post)."""

    due: DueSample
    taken_at: datetime
    found: bool = True
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    clicks: int | None = None
    bookmarks: int | None = None


class MetricsStore(Store):
    """Reads what is due and appends what was read."""

    def due_engagement(
        self, ages: Sequence[timedelta], now: datetime, channels: Iterable[str]
    ) -> list[DueSample]:
        """Published posts of `channels` with an age reached but not yet read, newest first.

        Only the oldest age a post has reached counts: a post whose 1 h and 24 h readings were
        both missed is read once, late, for 24 h (the missed 1 h reading is not made up)."""
        wanted = sorted(set(ages))
        if not wanted:
            return []
        names = list(channels)
        with self._sessions() as s:
            posts = s.execute(
                select(Delivery.id, Delivery.channel, Delivery.remote_id, Delivery.published_at)
                .where(
                    Delivery.state == DeliveryState.PUBLISHED.value,
                    Delivery.channel.in_(names),
                    Delivery.remote_id.is_not(None),
                    Delivery.published_at.is_not(None),
                    Delivery.published_at <= now - wanted[0],
                    Delivery.published_at > now - wanted[-1] - wanted[-1],
                )
                .order_by(Delivery.published_at.desc(), Delivery.id.desc())
            ).all()
            latest = dict(
                s.execute(
                    select(EngagementSample.delivery_id, func.max(EngagementSample.age_seconds))
                    .join(Delivery, Delivery.id == EngagementSample.delivery_id)
                    .where(Delivery.channel.in_(names))
                    .group_by(EngagementSample.delivery_id)
                ).all()
            )
        due: list[DueSample] = []
        for delivery_id, channel, remote_id, published_at in posts:
            assert published_at is not None  # the query asked for published posts only
            reached = [a for a in wanted if published_at + a <= now]
            age = reached[-1]
            done = latest.get(delivery_id)
            if done is not None and done >= int(age.total_seconds()):
                continue
            due.append(DueSample(delivery_id, channel, str(remote_id), published_at, age))
        return due

    def record_engagement(self, readings: Sequence[EngagementReading]) -> int:
        """Append one sample per reading; returns how many were new (an age already read by
        another process is left as it was: samples are never overwritten)."""
        added = 0
        for r in readings:
            try:
                with self._sessions.begin() as s:
                    s.add(
                        EngagementSample(
                            delivery_id=r.due.delivery_id,
                            channel=r.due.channel,
                            age_seconds=int(r.due.age.total_seconds()),
                            taken_at=r.taken_at,
                            found=r.found,
                            likes=r.likes,
                            reposts=r.reposts,
                            replies=r.replies,
                            quotes=r.quotes,
                            impressions=r.impressions,
                            clicks=r.clicks,
                            bookmarks=r.bookmarks,
                        )
                    )
                added += 1
            except IntegrityError:
                continue
        return added

    def record_followers(self, channel: str, taken_at: datetime, followers: int | None) -> None:
        with self._sessions.begin() as s:
            s.add(FollowerSample(channel=channel, taken_at=taken_at, followers=followers))

    def last_followers_at(self, channel: str) -> datetime | None:
        with self._sessions() as s:
            return s.scalar(
                select(func.max(FollowerSample.taken_at)).where(FollowerSample.channel == channel)
            )

    def record_reads(self, network: str, channel: str, reads: int, at: datetime) -> None:
        """Charge `reads` to `network`'s budget (nothing for 0)."""
        if reads <= 0:
            return
        with self._sessions.begin() as s:
            s.add(MetricsRequest(network=network, channel=channel, made_at=at, requests=reads))

    def reads_spent(self, network: str, since: datetime) -> int:
        """Reads charged to `network` since `since` (the start of the month, for the budget)."""
        with self._sessions() as s:
            total = s.scalar(
                select(func.coalesce(func.sum(MetricsRequest.requests), 0)).where(
                    MetricsRequest.network == network, MetricsRequest.made_at >= since
                )
            )
        return int(total or 0)
