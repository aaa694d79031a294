"""The daemon's pinned posts: an item pinned to a time (`queue add --at`) goes out at that very
time, outside the channel's regular slots.

Every minute (and once at start) the daemon looks, in one query for all its channels, for
pinned times coming up before its next look (and those missed within each channel's catch-up
grace, after downtime) and adds one `date` job per channel and time. The job runs the
publisher's slot at that instant with `pinned=True` (`Publisher.run_slot`): the ledger claims
(channel, pinned time) like any slot, so the post happens once whatever restarts or replicas
occur. An item pinned while the daemon runs is therefore seen within a minute; one whose time
has passed beyond the grace is taken by the channel's next regular slot, ahead of everything
else (see `content_queue.selection`).

When the job's time comes, it checks that an item is still pinned to that time on that channel
(it may have been re-pinned, cancelled or posted since): if not, nothing is claimed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from content_queue.editorial_store import EditorialStore
from content_queue.timeutil import Clock, system_clock

if TYPE_CHECKING:
    from .config import ChannelConfig

__all__ = ["RESCAN_EVERY", "PinnedJobs"]

RESCAN_EVERY = timedelta(minutes=1)
_AHEAD = 2 * RESCAN_EVERY  # a rescan a little late still finds a time due before the next one

log = structlog.get_logger("xensocial.pinned")


class PinnedJobs:
    """Finds the coming pinned times and gives each its `date` job (see the module docstring)."""

    def __init__(
        self,
        channels: Sequence[ChannelConfig],
        store: EditorialStore,
        run: Callable[[ChannelConfig, datetime], None],
        clock: Clock = system_clock,
    ) -> None:
        """`run(channel, at)` posts the pinned time `at` of `channel` (the daemon's counted
        `Publisher.run_slot(..., pinned=True)`)."""
        self.channels = list(channels)
        self.store = store
        self.run = run
        self.clock = clock
        self.scheduler: Any = None
        self._scheduled: set[tuple[str, datetime]] = set()

    def schedule(self, scheduler: Any) -> None:
        """Look now, then every minute."""
        self.scheduler = scheduler
        scheduler.add_job(
            self.rescan,
            "interval",
            seconds=RESCAN_EVERY.total_seconds(),
            id="pinned-rescan",
            name="pinned times",
        )
        self.rescan()

    def rescan(self) -> list[tuple[str, datetime]]:
        """Add a job for each pinned time not scheduled yet; the (channel, time) pairs added."""
        now = self.clock()
        added: list[tuple[str, datetime]] = []
        longest = max((c.catch_up_grace for c in self.channels), default=timedelta(0))
        try:  # one query for every channel, each then held to its own grace
            found = self.store.pinned_times_by_channel(now - longest, now + _AHEAD)
        except Exception:  # the database is away: the next rescan tries again
            log.exception("pinned_rescan_failed")
            return added
        for channel in self.channels:
            times = [at for at in found.get(channel.name, ()) if at >= now - channel.catch_up_grace]
            for at in times:
                key = (channel.name, at)
                if key in self._scheduled:
                    continue
                self._scheduled.add(key)
                added.append(key)
                log.info("pinned_scheduled", channel=channel.name, at=at.isoformat())
                if self.scheduler is not None:
                    self.scheduler.add_job(
                        self._job,
                        "date",
                        run_date=max(at, now),
                        args=[channel, at],
                        id=f"pinned:{channel.name}:{at.isoformat()}",
                        name=f"pinned {channel.name} {at.isoformat()}",
                        replace_existing=True,
                    )
        horizon = now - longest
        self._scheduled = {(c, at) for c, at in self._scheduled if at >= horizon}
        return added

    def _job(self, channel: ChannelConfig, at: datetime) -> None:
        try:
            still = at in self.store.pinned_times(channel.name, at, at)
        except Exception:
            log.exception("pinned_check_failed", channel=channel.name, at=at.isoformat())
            return
        if not still:
            log.info("pinned_time_changed", channel=channel.name, at=at.isoformat())
            return
        self.run(channel, at)
