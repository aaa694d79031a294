"""Running as one of several replicas of one database: the identity check and solo jobs.

Replicas share the database and nothing else. Slots and deliveries are claimed in the ledger
(see `publishing`); this module covers the rest:

- **Identity.** Each replica names itself (`identity`, else `XENSOCIAL_IDENTITY`, else the host
  name) in the ledger and in every log line. At start the daemon takes a lock named after its
  identity (`content_queue.singleton`: a PostgreSQL advisory lock, or a file lock next to a
  SQLite file), held until it stops and freed by the database or the kernel when the process
  dies. If another live process holds it, two replicas were given one name: the daemon says so
  (`identity_in_use`, a warning) and runs without treating that identity's posts in flight as
  its own (`Publisher(exclusive_identity=False)`), so the mistake cannot post anything twice.
- **Solo jobs.** Feed polling (per feed) and metrics rounds run in one replica at a time: each
  run takes the job's lock or, when another replica holds it, skips its turn (a debug line).
  The jobs stay safe to run twice in the database; the lock only spares the networks and the
  feeds the same work done at the same time by every replica.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import SQLAlchemyError

from content_queue.singleton import Held, Singletons

from .intake.feeds import FeedJobs

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from .config import Settings

__all__ = ["Replica", "SoloFeedJobs"]

log = structlog.get_logger("xensocial.replicas")


class Replica:
    """This process as a replica: its identity's lock and the locks of its solo jobs."""

    def __init__(self, engine: Engine, identity: str) -> None:
        self.identity = identity
        self.locks = Singletons(engine)
        self._identity_lock: Held | None = None

    def claim_identity(self) -> bool:
        """Take the identity's lock; False (and a warning) when another live process holds it.

        Raises SQLAlchemyError when the database cannot be reached."""
        self._identity_lock = self.locks.try_acquire(f"identity:{self.identity}")
        if self._identity_lock is None:
            log.warning(
                "identity_in_use",
                reason=(
                    f"another running process uses the identity {self.identity!r} on this "
                    "database; give each replica its own (identity in the configuration, or "
                    "XENSOCIAL_IDENTITY). Until then, posts in flight under that name are left "
                    "to their lease instead of being reconciled at start"
                ),
            )
        return self._identity_lock is not None

    def run_solo(self, name: str, job: Callable[[], None]) -> bool:
        """Run `job` unless another replica is running the job `name` now; whether it ran.

        A lock that cannot be taken because the database is unreachable skips the turn too
        (the job would fail on the same database anyway)."""
        try:
            held = self.locks.try_acquire(name)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("solo_job_skipped", job=name, reason=f"{type(exc).__name__}: {exc}")
            return False
        if held is None:
            log.debug("solo_job_skipped", job=name, reason="another replica is running it")
            return False
        try:
            job()
        finally:
            held.release()
        return True

    def release(self) -> None:
        """Give the identity back (at a clean stop)."""
        if self._identity_lock is not None:
            self._identity_lock.release()


class SoloFeedJobs(FeedJobs):
    """The daemon's feed jobs, each feed polled by one replica at a time."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        replica: Replica,
        *,
        stop: threading.Event,
        dry_run: bool = False,
    ) -> None:
        super().__init__(settings, engine, stop=stop, dry_run=dry_run)
        self.replica = replica

    def poll(self, name: str) -> None:
        poll_one = super().poll
        self.replica.run_solo(f"feed:{name}", lambda: poll_one(name))
