"""`xensocial run`: wiring the publisher to a scheduler, signals, systemd and a heartbeat (renewed
only by slots and ticks that reached the database: `heartbeat`).

The database is the source of truth; the scheduler only says *when*. Jobs are built in memory
from the configuration at each start (APScheduler 3 cannot share a job store between processes):
one `date` job per channel, for its next slot, carrying the slot's nominal instant; when it has
run, the channel's following slot is scheduled. A slot missed during downtime is used late only
within the channel's grace period, and only the latest one (no flood after an outage).

Shutdown (`stopping.SignalWatcher`): SIGTERM/SIGINT handlers only set a flag; the signal also
goes down a pipe, and a small watcher thread reading that pipe stops the scheduler and tells running
slots to stop retrying. The main thread then waits for the post in flight to be committed and
returns 0, within 10 s. Between due times the process sleeps (BlockingScheduler waits on an event
until the next run time): there is no polling loop.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from content_queue import ContentQueue, Ledger, make_engine
from content_queue.timeutil import system_clock

from . import sdnotify, slots
from .adapters.base import Adapter, AuthError
from .concurrency import DEFAULT_WORKERS, NetworkLimits
from .errors import ConfigError, XensocialError
from .filemodes import config_file_warning, private_dir
from .heartbeat import Beat, Heartbeat, heartbeat_path
from .logs import bind_process, configure_logging
from .notify.job import EXECUTOR as NOTIFY_EXECUTOR
from .publishing import Publisher
from .start_imports import EXECUTOR as IMPORTS_EXECUTOR
from .start_imports import StartImports
from .stopping import SignalWatcher

if TYPE_CHECKING:
    from .config import ChannelConfig, Settings

__all__ = [
    "STOP_TIMEOUT",
    "Daemon",
    "first_slot",
    "run_daemon",
]

STOP_TIMEOUT = 9.0  # seconds to wait for the post in flight: inside systemd's/Docker's 10 s

log = structlog.get_logger("xensocial.daemon")


class StartupFailed(XensocialError):
    """The daemon cannot start for a run-time reason (not the configuration): exit 1."""


def run_daemon(settings: Settings, *, dry_run: bool = False) -> int:
    """Run until SIGTERM/SIGINT. Returns the exit code: 0 after a clean stop, 1 when it cannot
    start (database unreachable or not migrated). Configuration problems found while building
    the channels raise ConfigError/SecretError, which the CLI reports (exit 2)."""
    configure_logging(settings.log_level, settings.log_format)
    bind_process(identity=settings.identity)  # every line says which replica wrote it
    daemon = Daemon(settings, dry_run=dry_run)
    try:
        daemon.prepare()
    except StartupFailed as exc:
        log.error("startup_failed", reason=str(exc))
        return 1
    except SQLAlchemyError as exc:
        log.error("startup_failed", reason=f"database error: {exc.__class__.__name__}: {exc}")
        return 1
    return daemon.serve()


def first_slot(
    ledger: Ledger, channel: ChannelConfig, now: datetime
) -> tuple[datetime, datetime, bool]:
    """The slot a channel starts with, when to run it, and whether it is a catch-up.

    The latest slot within the channel's grace period that nobody claimed is run now (one
    catch-up at most, however long the outage); otherwise the next slot, at its jittered time."""
    missed = slots.previous_slot(channel, now, channel.catch_up_grace)
    if missed is not None and missed not in ledger.slots_claimed(channel.name, missed):
        return missed, now, True
    upcoming = slots.next_slot(channel, now)
    return upcoming, slots.jittered(channel, upcoming), False


class Daemon:
    """One run of the service: `prepare()` then `serve()`."""

    def __init__(self, settings: Settings, *, dry_run: bool = False) -> None:
        self.settings = settings
        self.dry_run = dry_run
        self.channels = [c for c in settings.channels if c.enabled]
        # Posts at once per network: the slot pools, and the database pool sized to match.
        self.limits = NetworkLimits(settings.publishing, (c.network for c in self.channels))
        self.adapters: dict[str, Adapter] = {}
        self.engine: Engine | None = None
        self.publisher: Publisher | None = None
        self.scheduler: Any = None
        self.signals = SignalWatcher(self._stop_now)  # SIGTERM/SIGINT -> `_stop_now`
        self.stop = threading.Event()  # set by the watcher: running slots stop retrying
        self._running = 0
        self._running_cv = threading.Condition()
        self._served = threading.Event()  # the scheduler loop has returned
        self.feeds: Any = None  # intake.feeds.FeedJobs, once prepared
        self.pinned: Any = None  # pinned.PinnedJobs: items pinned to a time (`queue add --at`)
        self.coverage: Any = None  # intake.coverage.CoverageJobs, once prepared
        self.keyword_counts: Any = None  # metrics.keyword_counts.KeywordCounts, if configured
        self.replica: Any = None  # replicas.Replica: identity lock, solo jobs
        self.endpoint: Any = None  # reporting.http.Endpoint while serving, if any
        self.heartbeat: Heartbeat | None = None  # once the database is open
        self.imports: StartImports | None = None  # the import_at_start job, once prepared
        self.notify: Any = None  # notify.job.NotifyJob, unless a dry run

    # -- start-up ----------------------------------------------------------------------------

    def prepare(self) -> None:
        s = self.settings
        db_shown = make_url(s.database_url).render_as_string(hide_password=True)
        log.info(
            "starting",
            config=s.source,
            database=db_shown,
            identity=s.identity,
            dry_run=self.dry_run,
            data_dir=str(s.data_dir),
        )
        exposed = config_file_warning(s)  # secret files are checked as adapters resolve them
        if exposed is not None:
            log.warning("config_file_readable", path=s.source, detail=exposed)
        # Adapters first: a wrong option or secret stops the start before anything is written.
        self.adapters = self._build_adapters()
        for name, adapter in self.adapters.items():
            for warning in adapter.warnings():  # a version or token near its end: say it now
                log.warning("channel_warning", channel=name, detail=warning)
        url = make_url(s.database_url)
        sqlite_file = url.database if url.get_backend_name() == "sqlite" else None
        missing = sqlite_file not in (None, "", ":memory:") and not Path(str(sqlite_file)).exists()
        if self.dry_run and missing:
            raise StartupFailed(
                f"no database at {sqlite_file} (a dry run creates nothing); "
                "run `xensocial db upgrade` first"
            )
        private_dir(s.data_dir)  # 0700 when it is new: the heartbeat, outbox and state go there
        self.engine = make_engine(s.database_url, connections=self.limits.connections)
        self._migrate(self.engine)
        self.heartbeat = Heartbeat(
            heartbeat_path(s.data_dir),
            self.engine,
            clock=system_clock,
            identity=s.identity,
            read_only=self.dry_run,
        )
        queue = ContentQueue(self.engine, evergreen_categories=s.editorial.evergreen_categories)
        # Imported by a job once the scheduler runs (start_imports): never before the first slot.
        self.imports = StartImports(s, queue, stop=self.stop, dry_run=self.dry_run)
        ledger = Ledger(self.engine)
        from .replicas import Replica, SoloFeedJobs

        self.replica = Replica(self.engine, s.identity)
        # A dry run reconciles nothing, so it needs no identity (and must not take a live one).
        exclusive = self.dry_run or self.replica.claim_identity()
        self.publisher = Publisher(
            ledger,
            self.adapters,
            s,
            identity=s.identity,
            clock=system_clock,
            sleep=lambda seconds: not self.stop.wait(seconds),
            dry_run=self.dry_run,
            queue=queue,
            exclusive_identity=exclusive,
        )
        self.publisher.reconcile()
        self.feeds = SoloFeedJobs(
            s, self.engine, self.replica, stop=self.stop, dry_run=self.dry_run
        )
        self.feeds.prepare()
        from .intake.coverage import CoverageJobs
        from .metrics.keyword_counts import KeywordCounts

        self.coverage = CoverageJobs(
            s, self.engine, stop=self.stop, dry_run=self.dry_run, solo=self.replica.run_solo
        )
        if not self.dry_run:  # one for the daemon's life: it remembers what X refused
            self.keyword_counts = KeywordCounts.for_settings(s, self.engine, self.adapters)
            from .notify.job import NotifyJob

            self.notify = NotifyJob(
                s, self.engine, clock=system_clock, adapters=self.adapters, reclaim_own=exclusive
            )

    def _migrate(self, engine: Engine) -> None:
        from .migrate import database_revision, script_head

        # At head (every start but the first after an upgrade), Alembic is not even imported:
        # with Mako and Pygments it would stay in the daemon's memory for good (~12 MB).
        if database_revision(engine) == script_head():
            return
        from .migrate import current_revision, head_revision, upgrade

        if self.settings.auto_migrate and not self.dry_run:
            before, after = upgrade(engine)
            if before != after:
                log.info("database_migrated", before=before, after=after)
            return
        current, head = current_revision(engine), head_revision()
        if current != head:
            why = "a dry run writes nothing" if self.dry_run else "auto_migrate is off"
            raise StartupFailed(
                f"the database is at revision {current or 'none (empty)'} but this version "
                f"needs {head} ({why}); run `xensocial db upgrade` first"
            )

    def _build_adapters(self) -> dict[str, Adapter]:
        from .adapters.factory import build_adapter

        out = {}
        for channel in self.channels:
            try:
                out[channel.name] = build_adapter(self.settings, channel)
            except AuthError as exc:
                index = self.settings.channels.index(channel)
                raise ConfigError(
                    self.settings.source,
                    f"channels[{index}].secrets",
                    f"channel {channel.name!r}: {exc}",
                ) from None
        return out

    # -- running -----------------------------------------------------------------------------

    def serve(self) -> int:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.scheduler = BlockingScheduler(
            # Slots run in their network's pool (see `concurrency`). Housekeeping has its own
            # thread: slots stuck in long retries must never starve the systemd watchdog (which
            # would kill the daemon mid-post).
            executors={
                "default": ThreadPoolExecutor(max_workers=DEFAULT_WORKERS),
                "housekeeping": ThreadPoolExecutor(max_workers=1),
                IMPORTS_EXECUTOR: ThreadPoolExecutor(max_workers=1),  # import_at_start
                NOTIFY_EXECUTOR: ThreadPoolExecutor(max_workers=1),  # alerts: never in the way
                **self.limits.executors(),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        now = system_clock()
        for channel in self.channels:
            self._schedule_first(channel, now)
        self._schedule_pinned()
        if self.feeds is not None:
            self.feeds.schedule(self.scheduler)
        if self.coverage is not None:
            self.coverage.schedule(self.scheduler)
        if self.imports is not None:
            self.imports.schedule(self.scheduler)
        if self.notify is not None:  # alerts (`notify.job`), one replica at a time
            self.notify.schedule(self.scheduler, self.replica.run_solo)
        if not self.dry_run and self.channels:
            self.scheduler.add_job(
                self._metrics_job,
                "interval",
                seconds=self.settings.metrics.poll_every.total_seconds(),
                id="metrics",
                name="metrics round",
            )
        assert self.heartbeat is not None
        self.scheduler.add_job(  # the tick: proves the database takes writes, renews the beat
            self.heartbeat.tick,
            "interval",
            seconds=self.settings.health.tick_every.total_seconds(),
            next_run_time=now,
            id="heartbeat",
            executor="housekeeping",
        )
        watchdog = sdnotify.watchdog_interval()
        if watchdog is not None:
            self.scheduler.add_job(
                sdnotify.notify,
                "interval",
                args=["WATCHDOG=1"],
                seconds=watchdog,
                id="watchdog",
                executor="housekeeping",
            )
        self.signals.install()
        self._start_endpoint()
        if not self.channels:
            log.warning("no_channels", reason="no enabled channel: nothing will be posted")
        sdnotify.notify("READY=1")
        log.info(
            "scheduling",
            channels=len(self.channels),
            watchdog_s=watchdog,
            posts_at_once=self.limits.limits,
            db_connections=self.limits.connections,
        )
        try:
            if not self.signals.requested:
                self.scheduler.start()  # blocks until the watcher shuts it down
        finally:
            self._served.set()
            self.signals.restore()
        return self._wind_down()

    def _schedule_first(self, channel: ChannelConfig, now: datetime) -> None:
        assert self.publisher is not None
        slot_at, run_at, catch_up = first_slot(self.publisher.ledger, channel, now)
        log.info(
            "channel_scheduled",
            channel=channel.name,
            schedule=channel.describe_schedule(),
            next_slot=slot_at.isoformat(),
            catch_up=catch_up,
            paused=self.publisher.ledger.status(channel.name).paused,
        )
        held = self.publisher.held(channel.name, now)  # paused, or in a blackout: say so now
        if held is not None:
            log.warning("channel_not_posting", channel=channel.name, reason=held)
        self._add_slot_job(channel, slot_at, run_at=run_at)

    def _add_slot_job(self, channel: ChannelConfig, slot_at: datetime, *, run_at: datetime) -> None:
        self.scheduler.add_job(
            self._slot_job,
            "date",
            run_date=run_at,
            args=[channel, slot_at],
            # One id per slot: the next slot's job is added while this one is still finishing,
            # and a shared id would count as a second instance and be skipped.
            id=f"slot:{channel.name}:{slot_at.isoformat()}",
            name=f"slot {channel.name} {slot_at.isoformat()}",
            executor=self.limits.executor(channel.network),
            replace_existing=True,
        )

    def _slot_job(self, channel: ChannelConfig, slot_at: datetime) -> None:
        try:
            self._run_counted(channel, slot_at, pinned=False)
        finally:
            if not self.stop.is_set():
                self._schedule_next(channel, slot_at)

    def _run_counted(self, channel: ChannelConfig, slot_at: datetime, *, pinned: bool) -> None:
        """Run one slot (or pinned time), counted as running so that a stop waits for it;
        nothing once a stop was requested. A failure is logged: it must not end the schedule."""
        assert self.publisher is not None and self.heartbeat is not None
        with self._running_cv:
            if self.stop.is_set():
                return
            self._running += 1
        try:
            with self.limits.gate(channel.network):  # a pinned post counts against it too
                if not self.stop.is_set():  # it may have waited for its place
                    self.publisher.run_slot(channel, slot_at, pinned=pinned)
                    self.heartbeat.slot_completed()
        except Exception as exc:
            log.exception("slot_crashed", channel=channel.name, slot=slot_at.isoformat())
            self.heartbeat.slot_crashed(exc)
        finally:
            with self._running_cv:
                self._running -= 1
                self._running_cv.notify_all()

    def _schedule_pinned(self) -> None:
        """Date jobs for the items pinned to a time (see `pinned`)."""
        from .pinned import PinnedJobs

        assert self.publisher is not None
        self.pinned = PinnedJobs(
            self.channels,
            self.publisher.chooser.store,
            lambda channel, at: self._run_counted(channel, at, pinned=True),
        )
        self.pinned.schedule(self.scheduler)

    def _schedule_next(self, channel: ChannelConfig, slot_at: datetime) -> None:
        # Slots that passed while this one ran (long retries) are not run late.
        after = max(slot_at, system_clock())
        try:
            upcoming = slots.next_slot(channel, after)
            self._add_slot_job(channel, upcoming, run_at=slots.jittered(channel, upcoming))
        except Exception:
            log.exception("schedule_failed", channel=channel.name, after=after.isoformat())

    def _metrics_job(self) -> None:
        """A collection round, unless another replica is running one (see `replicas`)."""
        if self.replica is not None:
            self.replica.run_solo("metrics", self._metrics_round)

    def _metrics_round(self) -> None:
        """One collection round (see xensocial.metrics); a failure is logged, never fatal."""
        from content_queue.metrics_store import MetricsStore

        from .metrics.collector import Collector

        if self.stop.is_set() or self.engine is None:
            return
        try:
            collector = Collector(
                MetricsStore(self.engine),
                self.settings.metrics,
                self.channels,
                self.adapters,
                keyword_counts=self.keyword_counts,
            )
            for result in collector.run_round():
                if result.requests or result.skipped or result.followers_skipped:
                    log.info("metrics_collected", **result.as_dict())
        except Exception:
            log.exception("metrics_round_failed")

    def _start_endpoint(self) -> None:
        """/metrics, /healthz and the Atom feeds (xensocial.reporting.http); never fatal."""
        from .reporting.http import start_endpoint

        self.endpoint = start_endpoint(
            self.settings.http,
            self.settings,
            clock=system_clock,
            daemon=self,
        )

    def scheduler_problem(self) -> str | None:
        """Why the scheduler is not running (for /healthz), or None. Whether it does its work
        is the heartbeat's to say (`beat`)."""
        if self.scheduler is None or not self.scheduler.running or self.stop.is_set():
            return "the scheduler is not running"
        return None

    def beat(self) -> Beat:
        """The heartbeat record in memory (for /healthz and /metrics)."""
        return self.heartbeat.current() if self.heartbeat is not None else Beat()

    # -- stopping ----------------------------------------------------------------------------

    def _stop_now(self) -> None:
        """What a SIGTERM/SIGINT does, in the signal watcher's thread (see `stopping`)."""
        log.info("stop_requested", running_slots=self._running)
        sdnotify.notify("STOPPING=1")
        self.stop.set()
        # The signal may land just before the main thread enters start(): keep trying briefly.
        for _ in range(100):
            try:
                self.scheduler.shutdown(wait=False)
                return
            except Exception:  # not running (yet, or any more)
                if self._served.is_set():
                    return
                time.sleep(0.05)

    def _wind_down(self) -> int:
        self.stop.set()
        deadline = time.monotonic() + STOP_TIMEOUT
        with self._running_cv:
            while self._running and time.monotonic() < deadline:
                self._running_cv.wait(deadline - time.monotonic())
            unfinished = self._running
        if self.imports is not None:  # it stops within a batch of rows once `stop` is set
            self.imports.wait(deadline - time.monotonic())
        if self.endpoint is not None:
            self.endpoint.stop()
        for adapter in self.adapters.values():
            try:
                adapter.close()
            except Exception:
                log.exception("adapter_close_failed", adapter=adapter.name)
        if self.replica is not None:
            self.replica.release()
        if self.engine is not None:
            self.engine.dispose()
        if unfinished:
            # A network call outlived the grace period. Its delivery stays `publishing` and is
            # reconciled at the next start; exiting now beats being killed mid-commit later.
            log.warning("stopped_with_post_in_flight", running_slots=unfinished)
            os._exit(0)
        log.info("stopped")
        return 0
