"""The daemon's alerting job: find the events, record what is owed, send what is due.

One run (`run_once`) is three steps, each committed before the next:

1. `events.detect` lists every event on now;
2. `NoticeStore.record` turns starts, repeats and clearings into notices, written before
   anything is sent;
3. each due notice is claimed (a lease of `LEASE`, 5 minutes), sent, and marked sent; a failure is marked
   with the next try (`backoff`: 30 s doubling to an hour; given up after `GIVE_UP` since the
   notice was owed, or at once when retrying cannot help, such as a refused login).

The daemon runs it every `[alerts] check_every` on its own executor (a slow SMTP server never
holds up a slot), under `Replica.run_solo("notify")`: one replica at a time does the work, and
the record's unique rows make a second one harmless anyway. Everything takes `clock`.

The database out of reach (`database_unreachable`) cannot be recorded where it is missing, so
this job keeps it in memory: once steps 1-2 have failed on the database for `[alerts]
database_unreachable_after`, each target that wants it is told, directly (tried again at each
run until it took it), and told it cleared once the database answers again. Each replica that
loses the database says so: they cannot agree through a database none of them reaches (and a
solo lock that cannot be taken skips a turn, so this part runs outside it: `check_database`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from content_queue.notices import NoticeRow, NoticeStore
from content_queue.timeutil import Clock

from .email import NotifyFailed

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..adapters.base import Adapter
    from ..config import Settings
    from ..config.notify import NotifyTarget

__all__ = ["BACKOFF_MAX", "EXECUTOR", "GIVE_UP", "LEASE", "NotifyJob", "Round", "backoff"]

log = structlog.get_logger("xensocial.notify")

EXECUTOR = "notify"
LEASE = timedelta(minutes=5)  # well over a send: a target's timeout is 1 min at most
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
GIVE_UP = timedelta(days=2)

Sender = Callable[["NotifyTarget", NoticeRow], None]


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 30 s, 1 min, 2 min... at most an hour."""
    factor: int = 2 ** min(max(attempts - 1, 0), 20)
    return min(BACKOFF_FIRST * factor, BACKOFF_MAX)


@dataclass(frozen=True)
class Round:
    started: tuple[str, ...]
    cleared: tuple[str, ...]
    sent: int
    failed: int


class NotifyJob:
    """Alerting for one daemon (see the module docstring). `send` is `send.send` unless a
    caller passes its own; `reclaim_own`: this process holds its identity's lock, so notices
    claimed under that name belong to a process that died (sent again at once)."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        clock: Clock,
        adapters: Mapping[str, Adapter] | None = None,
        reclaim_own: bool = False,
        send: Sender | None = None,
    ) -> None:
        from .send import send as send_notice

        self.settings, self.engine, self.clock = settings, engine, clock
        self.adapters = adapters
        self.reclaim_own = reclaim_own
        self.store = NoticeStore(engine, clock=clock)
        self._send: Sender = send or (lambda target, notice: send_notice(target, notice))
        self._down_since: datetime | None = None  # when the database stopped answering
        self._down_error = ""
        self._told_down: set[str] = set()  # targets told it is down, not yet told it is back

    def run_once(self) -> Round:
        from sqlalchemy.exc import SQLAlchemyError

        from .events import detect

        now = self.clock()
        try:
            found = detect(self.settings, self.engine, now, self.adapters)
            recorded = self.store.record(found, self.settings.notify)
        except SQLAlchemyError as exc:
            self._unreachable(now, f"{type(exc).__name__}: {exc}".splitlines()[0])
            return Round((), (), 0, 0)
        self._reachable(now)
        for key in recorded.started:
            log.warning("event_started", alert=key)
        for key in recorded.cleared:
            log.info("event_cleared", alert=key)
        sent, failed = self.deliver()
        return Round(recorded.started, recorded.cleared, sent, failed)

    def deliver(self) -> tuple[int, int]:
        """Send every due notice; (sent, failed) counts."""
        owner = self.settings.identity
        targets = {t.name: t for t in self.settings.notify}
        sent = failed = 0
        for notice in self.store.due(owner, reclaim_own=self.reclaim_own):
            if not self.store.claim(notice.id, owner, LEASE, reclaim_own=self.reclaim_own):
                continue  # another replica took it meanwhile
            target = targets.get(notice.target)
            if target is None:  # removed from the configuration since it was owed
                self.store.failed(notice.id, owner, "no such target any more", None)
                failed += 1
                continue
            try:
                self._send(target, notice)
            except NotifyFailed as exc:
                failed += 1
                retry_at = self._retry_at(notice, exc)
                self.store.failed(notice.id, owner, str(exc), retry_at)
                log.warning(
                    "notification_failed",
                    target=target.name,
                    alert=notice.event_key,
                    phase=notice.phase,
                    reason=str(exc),
                    retry_at=retry_at.isoformat() if retry_at else None,
                )
                continue
            self.store.sent(notice.id, owner)
            sent += 1
            log.info(
                "notification_sent", target=target.name, alert=notice.event_key, phase=notice.phase
            )
        return sent, failed

    def _retry_at(self, notice: NoticeRow, exc: NotifyFailed) -> datetime | None:
        now = self.clock()
        if not exc.retry or now - notice.created_at >= GIVE_UP:
            return None
        return now + backoff(notice.attempts + 1)  # `attempts` was read before this claim

    # -- the database out of reach -----------------------------------------------------------

    def _unreachable(self, now: datetime, error: str) -> None:
        if self._down_since is None:
            self._down_since, self._down_error = now, error
            log.warning("notify_database_unreachable", reason=error)
        if now - self._down_since < self.settings.alerts.database_unreachable_after:
            return
        for target in self._wanting_down():
            if target.name not in self._told_down and self._say(target, "start", now):
                self._told_down.add(target.name)

    def _reachable(self, now: datetime) -> None:
        self._down_since = None
        for target in self._wanting_down():
            if target.name in self._told_down and self._say(target, "clear", now):
                self._told_down.discard(target.name)

    def _wanting_down(self) -> list[NotifyTarget]:
        return [t for t in self.settings.notify if t.wants("database_unreachable", "critical")]

    def _say(self, target: NotifyTarget, phase: str, now: datetime) -> bool:
        from .send import unrecorded

        identity = self.settings.identity
        since = self._down_since or now
        message = (
            f"The daemon {identity} cannot reach its database since "
            f"{since:%Y-%m-%d %H:%M} UTC ({self._down_error}). Nothing is posted by it while "
            "this lasts: its slots are not claimed, and a slot missed for longer than "
            "catch_up_grace is not posted late. Check the database server and `database_url`; "
            "`xensocial db status` and `xensocial health` tell when it answers again."
        )
        key = f"database_unreachable:{identity}"
        try:
            self._send(target, unrecorded(target.name, key, "critical", message, since, phase))
        except NotifyFailed as exc:
            log.warning("notification_failed", target=target.name, alert=key, reason=str(exc))
            return False
        log.info("notification_sent", target=target.name, alert=key, phase=phase)
        return True

    # -- in the daemon -----------------------------------------------------------------------

    def schedule(self, scheduler: Any, solo: Callable[[str, Callable[[], None]], bool]) -> None:
        """Add the job to the daemon's scheduler, run through `solo` (`Replica.run_solo`).

        A target whose secret cannot be resolved is said at start (`notify_target_unusable`),
        not refused: a broken alert must not stop the posting it would report on."""
        if not self.settings.notify:
            return
        for problem in self.problems():
            log.warning("notify_target_unusable", reason=problem)
        scheduler.add_job(
            lambda: self._turn(solo),
            "interval",
            seconds=self.settings.alerts.check_every.total_seconds(),
            id="notify",
            name="alerts",
            executor=EXECUTOR,
        )

    def problems(self) -> list[str]:
        """Why a target cannot be sent to, known before sending: a secret that is not set."""
        from ..errors import SecretError
        from ..secrets import resolve_refs

        out = []
        for target in self.settings.notify:
            try:
                resolve_refs(target.name, target.secrets, owner="target")
            except SecretError as exc:
                out.append(str(exc))
        return out

    def _turn(self, solo: Callable[[str, Callable[[], None]], bool]) -> None:
        if not solo("notify", self._guarded):
            self.check_database()

    def check_database(self) -> None:
        """When this replica did not run the job (another one holds it, or the lock itself
        could not be taken): ask the database whether it answers, for `database_unreachable`."""
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        now = self.clock()
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            self._unreachable(now, f"{type(exc).__name__}: {exc}".splitlines()[0])
            return
        except Exception:
            log.exception("notify_round_failed")
            return
        self._reachable(now)

    def _guarded(self) -> None:
        try:
            self.run_once()
        except Exception:  # a database hiccup: the next run tries again; posting goes on
            log.exception("notify_round_failed")
