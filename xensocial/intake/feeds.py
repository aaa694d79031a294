"""Feeds in the service: configuration feeds synced into the database, and the daemon's jobs.

Where feeds come from: `[[feeds]]` in the configuration, and `xensocial feeds add`. Both live in
the `feeds` table; configuration feeds are marked `managed_by = "config"` and synced at every
start of the daemon and every `feeds` command (added, updated, or removed to match the file,
keeping their entries and health), while CLI feeds are left alone by the sync. So the file stays
the truth for its feeds, and a feed added from the CLI needs no edit of the file.

The daemon polls each feed as an APScheduler interval job (jittered by a tenth of the interval,
at most 5 minutes, so feeds do not all hit at once), in a small pool of its own: a slow feed
never delays a slot or the other feeds beyond the pool's width. A refresh job picks up feeds
added or removed from the CLI while the daemon runs.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog

from content_queue.sources import FeedNotFound, FeedSpec, FeedStore, FeedView
from content_queue.timeutil import Clock, system_clock

from .poller import FeedPoller

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..config import Settings
    from ..config.feeds import FeedConfig
    from .fetch import FetchLimits

__all__ = [
    "FEED_WORKERS",
    "REFRESH_INTERVAL",
    "FeedJobs",
    "fetch_limits",
    "make_poller",
    "spec_of",
    "sync_config_feeds",
]

FEED_WORKERS = 4  # feeds fetched at the same time, in the daemon and in `feeds poll`
REFRESH_INTERVAL = timedelta(minutes=1)
_MAX_JITTER = timedelta(minutes=5)

log = structlog.get_logger("xensocial.intake")


def spec_of(feed: FeedConfig) -> FeedSpec:
    return FeedSpec(
        name=feed.name,
        url=feed.url,
        category=feed.category,
        tags=feed.tags,
        channels=feed.channels,
        auto_approve=feed.auto_approve,
        interval=feed.interval,
        include=feed.include,
        exclude=feed.exclude,
        initial=feed.initial,
        priority=feed.priority,
        managed_by="config",
        evergreen=feed.evergreen,
    )


def sync_config_feeds(settings: Settings, store: FeedStore) -> list[str]:
    """Make the database's configuration feeds those of `settings`; returns what changed."""
    return store.sync([spec_of(f) for f in settings.feeds], managed_by="config")


def fetch_limits(settings: Settings) -> FetchLimits:
    """The `[intake]` limits of the configuration."""
    return settings.intake.fetch_limits()


def make_poller(
    settings: Settings, store: FeedStore, clock: Clock = system_clock, logger: Any = None
) -> FeedPoller:
    return FeedPoller(
        store,
        channels=settings.channel_names,
        limits=fetch_limits(settings),
        clock=clock,
        logger=logger,
    )


def _jitter(interval: timedelta) -> int:
    return int(min(interval / 10, _MAX_JITTER).total_seconds())


class FeedJobs:
    """The daemon's feed polling: one interval job per feed, and a refresh job."""

    def __init__(
        self, settings: Settings, engine: Engine, *, stop: threading.Event, dry_run: bool = False
    ) -> None:
        self.settings = settings
        self.store = FeedStore(
            engine, evergreen_categories=sorted(settings.editorial.evergreen_categories)
        )
        self.poller = make_poller(settings, self.store)
        self.stop = stop
        self.dry_run = dry_run
        self._scheduled: dict[str, float] = {}  # feed name -> interval in seconds
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Sync the configuration's feeds into the database (a dry run writes nothing)."""
        if self.dry_run:
            log.info("dry_run_feeds", feeds=len(self.settings.feeds), action="not polled")
            return
        for change in sync_config_feeds(self.settings, self.store):
            log.info("feeds_synced", change=change)

    def schedule(self, scheduler: Any) -> None:
        if self.dry_run:
            return
        from apscheduler.executors.pool import ThreadPoolExecutor

        scheduler.add_executor(ThreadPoolExecutor(max_workers=FEED_WORKERS), "feeds")
        self.refresh(scheduler)
        scheduler.add_job(
            self.refresh,
            "interval",
            args=[scheduler],
            seconds=REFRESH_INTERVAL.total_seconds(),
            id="feeds:refresh",
            executor="feeds",
        )

    def refresh(self, scheduler: Any) -> None:
        """Add a job for each feed without one, drop the jobs of removed feeds."""
        try:
            feeds = self.store.list_feeds()
        except Exception:
            log.exception("feeds_refresh_failed")
            return
        with self._lock:
            wanted = {f.name: f for f in feeds}
            for name in list(self._scheduled):
                feed = wanted.get(name)
                if feed is None or feed.interval.total_seconds() != self._scheduled[name]:
                    self._unschedule(scheduler, name)
            for feed in feeds:
                if feed.name not in self._scheduled:
                    self._add(scheduler, feed)

    def _add(self, scheduler: Any, feed: FeedView) -> None:
        now = system_clock()
        first = now
        if feed.last_polled_at is not None and feed.last_polled_at + feed.interval > now:
            first = feed.last_polled_at + feed.interval
        scheduler.add_job(
            self.poll,
            "interval",
            args=[feed.name],
            seconds=feed.interval.total_seconds(),
            jitter=_jitter(feed.interval) or None,
            next_run_time=first,
            id=f"feed:{feed.name}",
            name=f"feed {feed.name}",
            executor="feeds",
            replace_existing=True,
        )
        self._scheduled[feed.name] = feed.interval.total_seconds()
        log.info(
            "feed_scheduled",
            feed=feed.name,
            url=feed.url,
            interval_s=int(feed.interval.total_seconds()),
            first_poll=first.isoformat(),
            disabled=feed.disabled_reason,
        )

    def _unschedule(self, scheduler: Any, name: str) -> None:
        self._scheduled.pop(name, None)
        with contextlib.suppress(Exception):  # the job is already gone
            scheduler.remove_job(f"feed:{name}")

    def poll(self, name: str) -> None:
        """One tick of a feed's job: poll it unless it is disabled or backing off."""
        if self.stop.is_set():
            return
        try:
            feed = self.store.get(name)
        except FeedNotFound:
            return  # removed from the CLI; the next refresh drops the job
        except Exception:
            log.exception("feed_poll_crashed", feed=name)
            return
        if self.poller.due(feed, respect_interval=False):
            self.poller.poll(feed)
