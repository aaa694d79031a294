"""One collection round: read follower counts and due engagement, within each budget.

The collector is the only code that asks networks for metrics. Per channel it decides what is
due (a follower count every `followers_every`; a post's engagement at each of `ages` after it
was published), asks `budget.plan_round` how much of that the network's monthly budget allows,
reads it through the channel's adapter in batches of `engagement_batch` ids, and appends what
came back to the `MetricsStore`. The budget is counted in reads as the adapter prices them
(`Adapter.engagement_reads`, `Adapter.followers_reads`: on X a read is a post or a user
returned, elsewhere a request), and every request's reads are recorded before it is made, so
the budget holds across processes and restarts. A failing network stops its own channel's round
only; the error is reported and logged, and what was not read stays due.

Competitors' recent post counts (`keyword_counts`) are read after the channels' own metrics, so
they only ever use what the budget has left over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import structlog

from content_queue.metrics_store import EngagementReading, MetricsStore
from content_queue.timeutil import Clock, system_clock

from ..adapters.base import Adapter, AdapterError
from ..config import ChannelConfig
from ..config.metrics import MetricsConfig
from .budget import month_start, plan_round, reads_available
from .keyword_counts import KeywordCounts, KeywordRound

__all__ = ["ChannelRound", "Collector"]

log = structlog.get_logger("xensocial.metrics")


@dataclass
class ChannelRound:
    """What one round did on one channel."""

    channel: str
    network: str
    followers_taken: bool = False
    followers: int | None = None
    followers_skipped: bool = False  # due, but the budget had no read left
    samples: int = 0  # engagement samples appended
    requests: int = 0  # requests made of the network
    reads: int = 0  # what they cost against the budget, in the network's reads
    skipped: int = 0  # due engagement readings left for a later round (budget)
    error: str | None = None
    keywords: KeywordRound | None = None  # competitors' post counts read through this channel
    budget: int | None = None  # the network's reads a month (None: no budget)
    month_reads: int = 0  # reads of the network this month, this round's included

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.keywords is None:  # only the keyword counts' channel says anything of them
            del out["keywords"]
        return out

    def describe(self) -> str:
        parts = [f"{self.channel} ({self.network}):"]
        if self.followers_taken:
            shown = "n/a" if self.followers is None else str(self.followers)
            parts.append(f"followers {shown};")
        elif self.followers_skipped:
            parts.append("followers skipped (budget);")
        parts.append(
            f"{self.samples} engagement samples; {self.reads} reads in {self.requests} requests"
        )
        if self.skipped:
            parts.append(f"; {self.skipped} skipped (budget)")
        if self.error:
            parts.append(f"; error: {self.error}")
        if self.keywords is not None:
            parts.append(f"; {self.keywords.describe()}")
        if self.budget is not None:
            parts.append(f"; {self.network} budget: {self.month_reads} of {self.budget} reads")
        return " ".join(parts).replace(" ;", ";")


class Collector:
    """Runs collection rounds over the given channels and their adapters."""

    def __init__(
        self,
        store: MetricsStore,
        config: MetricsConfig,
        channels: Sequence[ChannelConfig],
        adapters: Mapping[str, Adapter],
        *,
        clock: Clock = system_clock,
        logger: Any = None,
        keyword_counts: KeywordCounts | None = None,
    ) -> None:
        """`keyword_counts`: competitors' post counts to read after the channels' own metrics
        (one object for the life of the process: it remembers what the network refused)."""
        self._log = logger if logger is not None else log
        self._keyword_counts = keyword_counts
        self._store = store
        self._config = config
        self._channels = list(channels)
        self._adapters = adapters
        self._clock = clock

    def run_round(self, *, now_all: bool = False) -> list[ChannelRound]:
        """One round over every channel. `now_all` reads follower counts whatever their
        schedule and lifts the budget's daily spread (never its monthly cap)."""
        rounds = [self._channel_round(c, now_all) for c in self._channels]
        counts = self._keyword_counts
        for result in rounds:
            if counts is not None and result.channel == counts.channel.name:
                result.keywords = counts.run(now_all=now_all)
                if result.keywords.error and not result.error:
                    result.error = f"keyword counts: {result.keywords.error}"
        month = month_start(self._clock())
        for result in rounds:  # where each network's month stands once the round is over
            result.budget = self._config.budget_for(result.network)
            if result.budget is not None:
                result.month_reads = self._store.reads_spent(result.network, month)
        return rounds

    def _available(self, network: str, now: datetime, now_all: bool) -> int | None:
        spent = self._store.reads_spent(network, month_start(now))
        return reads_available(self._config.budget_for(network), spent, now, spread=not now_all)

    def _channel_round(self, channel: ChannelConfig, now_all: bool) -> ChannelRound:
        result = ChannelRound(channel.name, channel.network)
        adapter = self._adapters[channel.name]
        now = self._clock()
        try:
            self._followers(channel, adapter, now, now_all, result)
            self._engagement(channel, adapter, now, now_all, result)
        except AdapterError as exc:
            result.error = str(exc)
            self._log.warning("metrics_failed", channel=channel.name, error=str(exc))
        return result

    def _followers(
        self,
        channel: ChannelConfig,
        adapter: Adapter,
        now: datetime,
        now_all: bool,
        result: ChannelRound,
    ) -> None:
        last = self._store.last_followers_at(channel.name)
        if not now_all and last is not None and now - last < self._config.followers_every:
            return
        available = self._available(channel.network, now, now_all)
        reads = adapter.followers_reads
        if available is not None and available < reads:
            result.followers_skipped = True
            self._log.info(
                "metrics_followers_skipped",
                channel=channel.name,
                reason="budget",
                reads_needed=reads,
                reads_available=available,
            )
            return
        # Recorded before the call: a read that fails still counted against the budget.
        self._store.record_reads(channel.network, channel.name, reads, now)
        result.requests += 1
        result.reads += reads
        result.followers = adapter.fetch_followers()
        result.followers_taken = True
        self._store.record_followers(channel.name, self._clock(), result.followers)

    def _engagement(
        self,
        channel: ChannelConfig,
        adapter: Adapter,
        now: datetime,
        now_all: bool,
        result: ChannelRound,
    ) -> None:
        due = self._store.due_engagement(self._config.ages, now, [channel.name])
        if not due:
            return
        available = self._available(channel.network, now, now_all)
        plan = plan_round(
            due,
            batch=max(1, adapter.engagement_batch),
            available=available,
            cost=adapter.engagement_reads,
        )
        result.skipped = len(plan.skipped)
        if plan.skipped:
            self._log.info(
                "metrics_engagement_skipped",
                channel=channel.name,
                skipped=len(plan.skipped),
                oldest_skipped=plan.skipped[-1].published_at.isoformat(),
                reason="budget",
                reads_available=available,
                reads_planned=sum(plan.reads),
            )
        for i, batch in enumerate(plan.batches):
            self._store.record_reads(channel.network, channel.name, plan.reads[i], now)
            result.requests += 1
            result.reads += plan.reads[i]
            try:
                answers = {
                    e.remote_id: e for e in adapter.fetch_engagement([d.remote_id for d in batch])
                }
            except AdapterError:
                # What was not read stays due for a later round.
                result.skipped += sum(len(b) for b in plan.batches[i + 1 :])
                raise
            taken = self._clock()
            readings = []
            for d in batch:
                e = answers.get(d.remote_id)
                if e is None:
                    readings.append(EngagementReading(d, taken, found=False))
                    continue
                readings.append(
                    EngagementReading(
                        d,
                        e.fetched_at,
                        likes=e.likes,
                        reposts=e.reposts,
                        replies=e.replies,
                        quotes=e.quotes,
                        impressions=e.impressions,
                        clicks=e.clicks,
                        bookmarks=e.bookmarks,
                    )
                )
            result.samples += self._store.record_engagement(readings)
