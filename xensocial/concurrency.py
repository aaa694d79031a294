"""How many posts the daemon sends at once: a worker pool per network, and a database pool to match.

A slot storm (many channels sharing one slot) must be served in parallel across networks, yet
no network may get more than its limit of posts at once from this process (APIs throttle or
block bursts), and the daemon must not grow a thread per channel. So:

- each network in use gets an executor of its own (a `ThreadPoolExecutor` of exactly its limit:
  `[publishing] posts_at_once`, or its line in `posts_at_once_per_network`), and the slot jobs
  of its channels run there. A storm queues in its network's pool and never holds up another
  network's posts, as it would in one shared pool that the first network's slots filled;
- the limit is also a semaphore around every slot run, whichever thread runs it: a post pinned
  to a time (`queue add --at`) runs from the default pool and still counts against its
  network's limit. In the network's own pool the semaphore never makes anyone wait;
- the pools make their threads on demand, at most the sum of the limits, whatever the number of
  channels;
- the database pool is sized from the same numbers (`connections`), so that no worker waits for
  a connection: SQLAlchemy's default pool (5, plus 10 overflow, then a 30 s wait) would starve
  a storm and fail its slots.

The limits are per process: N replicas send up to N times as many to a network (docs/scale.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import PublishingConfig

__all__ = ["DEFAULT_WORKERS", "OTHER_CONNECTIONS", "NetworkLimits"]

DEFAULT_WORKERS = 4
"""The default pool's threads: metrics rounds, pinned-time rescans and pinned posts."""

OTHER_CONNECTIONS = 16
"""Database connections the rest of the daemon may hold at once, beside the slot workers: the
main thread, the identity lock (held for the daemon's life on PostgreSQL), the default pool's
jobs and the feed and coverage pools, each with its solo job's lock (another connection while
it runs)."""


class NetworkLimits:
    """The posts-at-once limit of each network the daemon's channels use."""

    def __init__(self, publishing: PublishingConfig, networks: Iterable[str]) -> None:
        self.limits = {n: publishing.posts_at_once_for(n) for n in sorted(set(networks))}
        self._gates = {n: threading.BoundedSemaphore(k) for n, k in self.limits.items()}

    @staticmethod
    def executor(network: str) -> str:
        """The name of the executor that runs the slot jobs of `network`'s channels."""
        return f"network:{network}"

    def executors(self) -> dict[str, Any]:
        """One APScheduler thread pool per network, each as wide as the network's limit."""
        from apscheduler.executors.pool import ThreadPoolExecutor

        return {self.executor(n): ThreadPoolExecutor(max_workers=k) for n, k in self.limits.items()}

    @contextmanager
    def gate(self, network: str) -> Iterator[None]:
        """Hold one of `network`'s places for the duration of a slot run (waits for one)."""
        gate = self._gates.get(network)
        if gate is None:  # not a network of the configured channels: nothing to share
            yield
            return
        with gate:
            yield

    @property
    def workers(self) -> int:
        """The most slot threads the pools may run: the sum of the limits."""
        return sum(self.limits.values())

    @property
    def connections(self) -> int:
        """Database connections the daemon may use at once (see `OTHER_CONNECTIONS`)."""
        return self.workers + OTHER_CONNECTIONS
