"""Competitors' recent post counts: how many posts a day mentioned each competitor, on X.

Where `[report] keyword_counts_channel` names a channel whose adapter can count recent posts
(`RecentPostCounter`: an optional capability, which only the X adapter has), the metrics round
asks, for each competitor of `[report.competitors]`, how many posts matched its keywords on each
day of the last week, and appends one `KeywordCount` per competitor and day:

- The query is the competitor's keywords as exact phrases, retweets left out:
  `("Xen" OR "XenServer" OR "Xen Project") -is:retweet`. X matches a phrase as whole words,
  ignoring case, much as the report matches clips (`reporting.keywords`).
- Only complete UTC days are asked for (midnight to midnight, within X's seven-day window), so a
  day's count is final when it is recorded and every reading of it covers the same period: a
  repeat is a no-op, never an overwrite, and days missed (the daemon down, the budget spent) are
  filled in by the next reading while they are still in the window.
- At most once a day: a competitor whose counts already reach the last midnight is not asked
  again, and one that was answered is not asked again the same UTC day by this process.
- Each call is one read of the network's monthly budget (`budget`; X bills "Counts: Recent"
  per request): competitors that do not fit are skipped, logged, and asked in a later round.
- A 429 waits for its reset; an AuthError (401, or 403 for an access tier without the endpoint)
  is logged once and stops the counts for the life of the process (each round then reports them
  unavailable); another failure (X out of credits or at its usage cap included) waits an hour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import structlog

from content_queue.coverage import KeywordCountStore
from content_queue.metrics_store import MetricsStore
from content_queue.timeutil import Clock, system_clock

from ..adapters.base import AdapterError, AuthError, RateLimited
from .budget import month_start, reads_available

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..adapters.base import Adapter
    from ..config import ChannelConfig, Settings
    from ..config.metrics import MetricsConfig

__all__ = [
    "KeywordCounts",
    "KeywordRound",
    "RecentPostCounter",
    "complete_days",
    "recent_posts_query",
]

WINDOW = timedelta(days=7)  # how far back X's recent counts reach
_MARGIN = timedelta(minutes=1)  # X wants end_time 10 s old and start_time inside the window
RETRY_AFTER_FAILURE = timedelta(hours=1)
COUNT_READS = 1  # one request, whatever it counts: what X bills for recent counts

log = structlog.get_logger("xensocial.metrics")


@runtime_checkable
class RecentPostCounter(Protocol):
    """An adapter that can count a network's recent posts matching a query."""

    def count_recent_posts(
        self, query: str, *, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime, int]]:
        """Posts matching `query` per day from `start` to `end`: (start, end, posts)."""
        ...


def recent_posts_query(keywords: Sequence[str]) -> str:
    """X's query for posts with any of `keywords` (as exact phrases), retweets left out."""
    phrases = (" ".join(k.replace('"', " ").split()) for k in keywords)
    return "(" + " OR ".join(f'"{p}"' for p in phrases if p) + ") -is:retweet"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def complete_days(now: datetime) -> tuple[datetime, datetime]:
    """The complete UTC days X can count at `now`: from the first midnight inside its seven-day
    window to the last midnight (each with a minute's margin)."""
    utc = now.astimezone(UTC)
    return _midnight((utc - WINDOW + _MARGIN).date() + timedelta(days=1)), _midnight(
        (utc - _MARGIN).date()
    )


@dataclass
class KeywordRound:
    """What one round of keyword counts did."""

    channel: str
    network: str
    counted: list[str] = field(default_factory=list)  # competitors read this round
    days: int = 0  # day counts appended
    requests: int = 0
    skipped: list[str] = field(default_factory=list)  # left for a later round (budget)
    unavailable: str | None = None  # the network will not answer (access tier, credentials)
    error: str | None = None

    def describe(self) -> str:
        if self.unavailable:
            return f"keyword counts unavailable ({self.unavailable})"
        words = f"keyword counts: {len(self.counted)} competitor(s), {self.days} new day(s)"
        if self.skipped:
            words += f", {', '.join(self.skipped)} skipped (budget)"
        return words + (f", error: {self.error}" if self.error else "")


class KeywordCounts:
    """Reads recent post counts for every competitor through one channel, round after round;
    keeps in memory what the network said about the endpoint (unavailable, rate limited)."""

    def __init__(
        self,
        metrics: MetricsStore,
        counts: KeywordCountStore,
        competitors: Mapping[str, Sequence[str]],
        config: MetricsConfig,
        channel: ChannelConfig,
        adapter: RecentPostCounter,
        *,
        clock: Clock = system_clock,
        logger: Any = None,
    ) -> None:
        self.channel = channel
        self._metrics = metrics
        self._counts = counts
        self._competitors = dict(competitors)
        self._config = config
        self._adapter = adapter
        self._clock = clock
        self._log = logger if logger is not None else log
        self._unavailable: str | None = None
        self._not_before: datetime | None = None
        self._answered: dict[str, date] = {}  # competitor -> the UTC day it was last read

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        engine: Engine,
        adapters: Mapping[str, Adapter],
        *,
        clock: Clock = system_clock,
        logger: Any = None,
    ) -> KeywordCounts | None:
        """The counts `settings` ask for, through the built `adapters`; None when there are
        none to make (no channel or no competitors set, or the channel is not among them)."""
        name = settings.report.keyword_counts_channel
        if name is None or not settings.report.competitors or name not in adapters:
            return None
        adapter = adapters[name]
        if not isinstance(adapter, RecentPostCounter):
            (logger or log).warning(
                "keyword_counts_unsupported",
                channel=name,
                network=adapter.name,
                reason="only an x channel can count recent posts",
            )
            return None
        return cls(
            MetricsStore(engine, clock),
            KeywordCountStore(engine, clock),
            settings.report.competitors,
            settings.metrics,
            settings.channel(name),
            adapter,
            clock=clock,
            logger=logger,
        )

    def run(self, *, now_all: bool = False) -> KeywordRound:
        """One round: read the competitors that are due, as far as the budget allows.
        `now_all` lifts the budget's daily spread (never its monthly cap)."""
        network = self.channel.network
        result = KeywordRound(self.channel.name, network, unavailable=self._unavailable)
        now = self._clock()
        if self._unavailable or (self._not_before is not None and now < self._not_before):
            return result
        start, end = complete_days(now)
        due = [
            name
            for name in self._competitors
            if self._answered.get(name) != now.date()
            and (self._counts.latest_end(name, network) or start) < end
        ]
        spent = self._metrics.reads_spent(network, month_start(now))
        available = reads_available(
            self._config.budget_for(network), spent, now, spread=not now_all
        )
        affordable = len(due) if available is None else available // COUNT_READS
        if affordable < len(due):
            due, result.skipped = due[:affordable], due[affordable:]
            self._log.info(
                "keyword_counts_skipped",
                channel=self.channel.name,
                competitors=result.skipped,
                reason="budget",
            )
        for name in due:
            # Recorded before the call: a read that fails still counted against the budget.
            self._metrics.record_reads(network, self.channel.name, COUNT_READS, now)
            result.requests += 1
            try:
                days = self._adapter.count_recent_posts(
                    recent_posts_query(self._competitors[name]), start=start, end=end
                )
            except AdapterError as exc:
                self._failed(exc, now, result)
                break
            self._answered[name] = now.date()
            result.counted.append(name)
            result.days += self._counts.record(name, network, days)
        if result.counted:
            self._log.info(
                "keyword_counts_recorded",
                channel=self.channel.name,
                competitors=result.counted,
                new_days=result.days,
                period_start=start.isoformat(),
                period_end=end.isoformat(),
            )
        return result

    def _failed(self, exc: Exception, now: datetime, result: KeywordRound) -> None:
        if isinstance(exc, AuthError):
            self._unavailable = result.unavailable = str(exc)
            self._log.warning(
                "keyword_counts_unavailable",
                channel=self.channel.name,
                reason=str(exc),
                action="not asked again until the daemon restarts",
            )
            return
        if isinstance(exc, RateLimited) and exc.reset_at is not None:
            self._not_before = exc.reset_at
        else:
            self._not_before = now + RETRY_AFTER_FAILURE
        result.error = str(exc)
        self._log.warning(
            "keyword_counts_failed",
            channel=self.channel.name,
            reason=str(exc),
            retry_at=self._not_before.isoformat(),
        )
