"""Prometheus figures, read from the database at scrape time.

The database is the source of truth, so a custom collector asks it at every scrape instead of
counting events in the process: the figures are right after a restart, identical on every
replica of one PostgreSQL, and include what the CLI did. Each family is one aggregate query
(a GROUP BY over an indexed table), so a scrape costs a few milliseconds whatever the queue's
size; nothing is read row by row.

The history kept grows every day, so no query joins or reads it row by row (issue 8: a scrape
of four years of 1,000 channels took 0.9 s of CPU that way, 0.12 s for one year): the counts
of settled deliveries come from an index alone, the pending ones (the live queue) are the only
ones joined to their items, and the latest follower count is one index seek per channel
(`channels.py` finds the channels the same way).

Families (all prefixed `xensocial_`; `docs/exports.md` shows them with their HELP text):

    posts_published_total{channel}              counter: deliveries published
    deliveries_failed{channel,reason}           failed deliveries now, by class of their error
    deliveries{channel,state}                   deliveries by state (pending: approved items only)
    queue_items{state}                          items by state
    followers{channel}                          latest follower count (absent when unknown)
    last_post_timestamp_seconds{channel}        when the channel last published
    next_slot_timestamp_seconds{channel}        its next slot, from the configuration and clock
    channel_paused{channel}                     1 while paused
    feed_consecutive_errors{feed}               failed polls in a row (0 after a good poll)
    feed_status{feed,status}                    1 for the feed's current status
    feed_last_poll_timestamp_seconds{feed}      the last poll that got a body
    database_up                                 1 when this scrape could read the database and the
                                                daemon's latest write to it succeeded
    info{version,identity}                      this process

`deliveries_failed` is a gauge, not a counter: `queue retry` moves a failed delivery back to
pending, and a counter must never go down. Its `reason` is a short class of the delivery's
last error (`FAILURE_CLASSES`), so the number of series stays bounded however the networks
word their refusals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from content_queue.schema import (
    ChannelState,
    Delivery,
    DeliveryState,
    Feed,
    FollowerSample,
    Item,
    ItemState,
)
from content_queue.timeutil import Clock

from .. import __version__, slots
from .channels import channel_values, channels_with_rows

if TYPE_CHECKING:
    from ..config import Settings

__all__ = ["FAILURE_CLASSES", "FEED_STATUSES", "DatabaseCollector", "failure_class"]

log = structlog.get_logger("xensocial.reporting.prometheus")

FAILURE_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # (reason, LIKE patterns on the lower-cased error); the first class that matches wins.
    ("too_long", ("%too long%", "% characters, % allows %", "% graphemes, % allows %")),
    ("duplicate", ("%duplicate%",)),
    ("auth", ("auth failed%", "%unauthori%", "%refused access%", "%forbidden%")),
    ("rate_limited", ("%rate limit%",)),
    ("render", ("cannot render%",)),
    ("rejected", ("rejected%",)),
    ("transient", ("%attempt(s) failed%",)),
)
"""How a failed delivery's `last_error` becomes the `reason` label; anything else is `other`.

The texts come from the publisher (`rejected: ...`, `cannot render: ...`) around each
adapter's own words, so the patterns look for what every adapter says alike."""
OTHER = "other"
FEED_STATUSES = ("new", "ok", "error", "gone")


def failure_class(
    error: ColumnElement[str | None] | InstrumentedAttribute[str | None],
) -> ColumnElement[str]:
    """The SQL expression classifying `error` (see FAILURE_CLASSES), the same on both backends
    (lower-cased first: LIKE ignores case on SQLite but not on PostgreSQL)."""
    lowered = func.lower(func.coalesce(error, ""))
    whens = [
        (lowered.like(pattern), literal(reason))
        for reason, patterns in FAILURE_CLASSES
        for pattern in patterns
    ]
    return case(*whens, else_=literal(OTHER))


class DatabaseCollector(Collector):
    """Reads every family from the database when Prometheus scrapes (see the module doc).

    When the database does not answer, only `database_up 0` and `info` are exposed (and a
    warning logged): a scrape never fails, so the alert can be on the figure itself."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Clock,
        *,
        writes_problem: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.engine, self.settings, self.clock = engine, settings, clock
        # The daemon's latest write (health.HealthCheck.writes_problem): a database that reads
        # but refuses writes cannot post, so it is not "up".
        self.writes_problem = writes_problem
        self._next: dict[str, datetime] = {}  # channel -> its next slot, while still ahead

    def describe(self) -> list[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("xensocial", "The xensocial process that serves these figures.")
        info.add_metric([], {"version": __version__, "identity": self.settings.identity})
        yield info
        up = GaugeMetricFamily(
            "xensocial_database_up",
            "1 when this scrape could read the database and the daemon's latest write to it "
            "succeeded, else 0.",
        )
        try:
            with self.engine.connect() as conn:
                families = list(self._families(conn))
        except SQLAlchemyError as exc:
            log.warning("metrics_database_failed", reason=f"{type(exc).__name__}: {exc}")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 0 if self.writes_problem() is not None else 1)
        yield up
        yield from families

    # -- the families --------------------------------------------------------------------------

    def _families(self, conn: Connection) -> Iterator[Metric]:
        configured = [c.name for c in self.settings.channels]
        by_state = self._deliveries_by_state(conn)
        yield from self._published(by_state)
        yield self._failed(conn)
        yield self._deliveries(by_state, configured)
        yield self._items(conn)
        yield self._followers(conn)
        yield self._paused(conn, configured)
        yield self._next_slots()
        yield from self._feeds(conn)

    @staticmethod
    def _deliveries_by_state(conn: Connection) -> list[tuple[str, str, int, datetime | None]]:
        """(channel, state, deliveries, latest published_at): one read serves three families.

        A pending delivery of a draft or cancelled item is not waiting for a slot: left out.
        Settled deliveries (most of them: the history) are counted from the (channel, state,
        published_at) index alone, never joined to their items; only the pending ones are."""
        pending = DeliveryState.PENDING.value
        columns = (Delivery.channel, Delivery.state, func.count(), func.max(Delivery.published_at))
        settled = select(*columns).where(Delivery.state != pending)
        # A correlated test, not a join: joined, SQLite would start from every approved item
        # (published ones stay approved) and look each one up among the deliveries.
        approved = (
            select(Item.id)
            .where(Item.id == Delivery.item_id, Item.state == ItemState.APPROVED.value)
            .exists()
        )
        waiting = select(*columns).where(
            channels_with_rows(conn, Delivery.channel).holds(Delivery.channel),
            Delivery.state == pending,
            approved,
        )
        both = union_all(
            settled.group_by(Delivery.channel, Delivery.state),
            waiting.group_by(Delivery.channel, Delivery.state),
        ).subquery()
        rows = conn.execute(select(both).order_by(*both.c[:2])).all()
        return [(channel, state, n, newest) for channel, state, n, newest in rows]

    @staticmethod
    def _published(rows: Sequence[tuple[str, str, int, datetime | None]]) -> Iterator[Metric]:
        total = CounterMetricFamily(
            "xensocial_posts_published",
            "Posts published, per channel (deliveries in state published).",
            labels=["channel"],
        )
        last = GaugeMetricFamily(
            "xensocial_last_post_timestamp_seconds",
            "When the channel's latest post was published (Unix time).",
            labels=["channel"],
        )
        for channel, state, count, newest in rows:
            if state != DeliveryState.PUBLISHED.value:
                continue
            total.add_metric([channel], count)
            if newest is not None:
                last.add_metric([channel], newest.timestamp())
        yield total
        yield last

    def _failed(self, conn: Connection) -> Metric:
        failed = (
            select(Delivery.channel, failure_class(Delivery.last_error).label("reason"))
            .where(
                # Named, the channels let the (channel, state) index find the failed ones.
                channels_with_rows(conn, Delivery.channel).holds(Delivery.channel),
                Delivery.state == DeliveryState.FAILED.value,
            )
            .subquery()
        )
        rows = conn.execute(
            select(failed.c.channel, failed.c.reason, func.count())
            .group_by(failed.c.channel, failed.c.reason)
            .order_by(failed.c.channel, failed.c.reason)
        ).all()
        family = GaugeMetricFamily(
            "xensocial_deliveries_failed",
            "Deliveries the network refused for good, per channel and class of error "
            "(too_long, duplicate, auth, rate_limited, render, rejected, transient, other); "
            "`queue retry` takes one back.",
            labels=["channel", "reason"],
        )
        for channel, reason, count in rows:
            family.add_metric([channel, reason], count)
        return family

    @staticmethod
    def _deliveries(
        rows: Sequence[tuple[str, str, int, datetime | None]], configured: Sequence[str]
    ) -> Metric:
        counts = {(channel, state): n for channel, state, n, _ in rows}
        # Every state of every configured channel, zeros included: an alert on "unknown > 0"
        # needs the series to exist before the first one.
        for channel in configured:
            for known in DeliveryState:
                counts.setdefault((channel, known.value), 0)
        family = GaugeMetricFamily(
            "xensocial_deliveries",
            "Deliveries per channel and state; pending counts approved items only (what the "
            "channel's slots will post).",
            labels=["channel", "state"],
        )
        for (channel, state), n in sorted(counts.items()):
            family.add_metric([channel, state], n)
        return family

    def _items(self, conn: Connection) -> Metric:
        rows = conn.execute(select(Item.state, func.count()).group_by(Item.state)).all()
        counts = {state.value: 0 for state in ItemState} | {state: n for state, n in rows}
        family = GaugeMetricFamily(
            "xensocial_queue_items", "Items in the queue, by state.", labels=["state"]
        )
        for state, n in sorted(counts.items()):
            family.add_metric([state], n)
        return family

    def _followers(self, conn: Connection) -> Metric:
        channels = channel_values(FollowerSample.channel)
        latest = (  # each channel's latest reading: one seek on (channel, taken_at)
            select(FollowerSample.id)
            .where(FollowerSample.channel == channels.c.channel)
            .order_by(FollowerSample.taken_at.desc(), FollowerSample.id.desc())  # ties: the last
            .limit(1)
            .scalar_subquery()
        )
        ids = select(latest.label("id")).where(channels.c.channel.is_not(None)).subquery()
        rows = conn.execute(
            select(FollowerSample.channel, FollowerSample.followers).join(
                ids, ids.c.id == FollowerSample.id
            )
        ).all()
        newest = dict(rows)
        family = GaugeMetricFamily(
            "xensocial_followers",
            "The channel's follower count at its latest reading (absent when the network "
            "gave none).",
            labels=["channel"],
        )
        for channel, followers in sorted(newest.items()):
            if followers is not None:
                family.add_metric([channel], followers)
        return family

    def _paused(self, conn: Connection, configured: Sequence[str]) -> Metric:
        rows = conn.execute(select(ChannelState.channel, ChannelState.paused)).all()
        paused = {channel: 0 for channel in configured} | {c: int(bool(p)) for c, p in rows}
        family = GaugeMetricFamily(
            "xensocial_channel_paused",
            "1 while the channel is paused (by staff, or after an authentication error).",
            labels=["channel"],
        )
        for channel, value in sorted(paused.items()):
            family.add_metric([channel], value)
        return family

    def _next_slots(self) -> Metric:
        family = GaugeMetricFamily(
            "xensocial_next_slot_timestamp_seconds",
            "When the channel's next slot falls (Unix time, before jitter); enabled channels only.",
            labels=["channel"],
        )
        now = self.clock()
        for channel in self.settings.channels:
            if not channel.enabled:
                continue
            # A slot stays the next one until it passes: computed again only then (a cron
            # channel builds a trigger each time, which is most of a scrape with many channels).
            upcoming = self._next.get(channel.name)
            if upcoming is None or upcoming <= now:
                upcoming = self._next[channel.name] = slots.next_slot(channel, now)
            family.add_metric([channel.name], upcoming.timestamp())
        return family

    def _feeds(self, conn: Connection) -> Iterator[Metric]:
        rows = conn.execute(
            select(Feed.name, Feed.status, Feed.error_count, Feed.last_polled_at).order_by(
                Feed.name
            )
        ).all()
        errors = GaugeMetricFamily(
            "xensocial_feed_consecutive_errors",
            "Polls of the feed that failed in a row (0 once a poll succeeds).",
            labels=["feed"],
        )
        status = GaugeMetricFamily(
            "xensocial_feed_status",
            "1 for the feed's current status (new, ok, error, gone), 0 for the others.",
            labels=["feed", "status"],
        )
        polled = GaugeMetricFamily(
            "xensocial_feed_last_poll_timestamp_seconds",
            "The feed's last poll that got a body (Unix time; absent before the first).",
            labels=["feed"],
        )
        for name, current, error_count, last_polled_at in rows:
            errors.add_metric([name], error_count)
            for known in sorted({*FEED_STATUSES, current}):
                status.add_metric([name, known], int(known == current))
            if last_polled_at is not None:
                polled.add_metric([name], last_polled_at.timestamp())
        yield errors
        yield status
        yield polled
