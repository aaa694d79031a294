"""Polling a feed: fetch, parse, ingest, and the feed's health (backoff, gone, moved).

One poll of one feed is `FeedPoller.poll`. It never raises for anything the feed or the network
does: every outcome is a `PollOutcome` and one log line, so a bad feed cannot stop a round, the
daemon, or the other feeds. The rules:

- A 304 (or an unchanged local file) is "not modified": no parse and no database write.
- A fetch or parse error counts against the feed and backs it off: it is not polled again
  before `interval * 2**errors` (capped at `MAX_BACKOFF`) has passed; a success clears it.
- A 410 disables the feed (polling it by name with `force` tries again).
- A permanent redirect from the feed's URL updates the stored URL.

Local feeds: a `file:` URL is read from disk (within the same size cap), its modification time
standing in for Last-Modified; this is how the demo configuration polls a feed shipped next to
it without a web server.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import structlog

from content_queue.sources import FeedStore, FeedView, IngestResult
from content_queue.timeutil import Clock, system_clock

from .entries import FeedParseError, parse_feed

if TYPE_CHECKING:
    import httpx

    from .fetch import FetchLimits, FetchResult

__all__ = [
    "MAX_BACKOFF",
    "FeedPoller",
    "PollOutcome",
    "backoff_delay",
    "local_path",
]

MAX_BACKOFF = timedelta(hours=6)

log = structlog.get_logger("xensocial.intake")


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one feed did. `status`: ok, not_modified, error, gone, skipped."""

    feed: str
    status: str
    detail: str = ""
    ingest: IngestResult | None = None

    def describe(self) -> str:
        if self.ingest is not None:
            i = self.ingest
            words = f"{len(i.added)} queued, {len(i.updated)} updated, {i.seen} new entries seen"
            if i.linked:
                words += f", {len(i.linked)} already queued by another source"
            return f"{self.feed}: {words}" + (f" ({self.detail})" if self.detail else "")
        return f"{self.feed}: {self.status.replace('_', ' ')}" + (
            f": {self.detail}" if self.detail else ""
        )


def backoff_delay(interval: timedelta, errors: int) -> timedelta:
    """How long a feed rests after its `errors`-th consecutive failure (1, 2, ...)."""
    cap = max(MAX_BACKOFF, interval)
    return min(interval * (1 << min(errors, 20)), cap)


def local_path(url: str) -> Path | None:
    """The file a `file:` URL names, or None for any other URL."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def _http_date(moment: float) -> str:
    return email.utils.formatdate(moment, usegmt=True)


class FeedPoller:
    """Polls feeds of one database, with one shared HTTP client (a connection pool)."""

    def __init__(
        self,
        store: FeedStore,
        *,
        channels: Sequence[str],
        limits: FetchLimits | None = None,
        clock: Clock = system_clock,
        client: httpx.Client | None = None,
        logger: Any = None,
    ) -> None:
        """`logger`: a structlog logger for the poll lines (default: "xensocial.intake")."""
        from .fetch import FetchLimits

        self.store = store
        self.channels = list(channels)
        self.limits = limits or FetchLimits()
        self.clock = clock
        self._client = client
        self.log = logger if logger is not None else log

    # -- choosing ----------------------------------------------------------------------------

    def due(self, feed: FeedView, *, respect_interval: bool = True) -> bool:
        """Whether `feed` should be polled now: not disabled, not backing off, and (when
        `respect_interval`) its interval passed since its last poll that got a body."""
        now = self.clock()
        if feed.disabled or (feed.next_poll_at is not None and now < feed.next_poll_at):
            return False
        if respect_interval and feed.last_polled_at is not None:
            return now >= feed.last_polled_at + feed.interval
        return True

    # -- polling -----------------------------------------------------------------------------

    def poll_many(
        self,
        feeds: Sequence[FeedView],
        *,
        workers: int = 4,
        on_done: Callable[[PollOutcome], None] | None = None,
    ) -> list[PollOutcome]:
        """Poll `feeds` with at most `workers` fetches at a time; outcomes in `feeds` order."""
        if not feeds:
            return []
        from .fetch import make_client

        own = self._client is None
        if own:
            self._client = make_client(self.limits, max_connections=max(1, workers))
        try:
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                futures = [pool.submit(self.poll, f) for f in feeds]
                outcomes = []
                for future in futures:
                    outcome = future.result()
                    if on_done is not None:
                        on_done(outcome)
                    outcomes.append(outcome)
                return outcomes
        finally:
            if own and self._client is not None:
                self._client.close()
                self._client = None

    def poll(self, feed: FeedView) -> PollOutcome:
        """Poll one feed now (whatever its schedule or backoff); never raises for the feed's or
        the network's faults."""
        try:
            return self._poll(feed)
        except Exception as exc:  # a bug or a database fault: still one feed, one line
            self.log.exception("feed_poll_crashed", feed=feed.name, url=feed.url)
            return PollOutcome(feed.name, "error", f"{type(exc).__name__}: {exc}")

    def _poll(self, feed: FeedView) -> PollOutcome:
        from .fetch import FetchError

        try:
            result = self._fetch(feed)
        except FetchError as exc:
            return self._failed(feed, exc.reason)
        except OSError as exc:  # a local file
            return self._failed(feed, f"cannot read {feed.url}: {exc.strerror or exc}")
        if result.not_modified:
            # Deliberately nothing written: a 304 costs no parse and no database write.
            self.log.debug("feed_not_modified", feed=feed.name)
            return PollOutcome(feed.name, "not_modified")
        if result.gone:
            reason = f"HTTP 410 Gone from {result.url}: the feed was removed; polling stopped"
            self.store.record_failure(feed.id, reason, next_poll_at=None, gone=True)
            self.log.warning("feed_gone", feed=feed.name, url=result.url, action="disabled")
            return PollOutcome(feed.name, "gone", reason)
        assert result.body is not None
        try:
            parsed = parse_feed(
                result.body,
                url=result.url,
                content_type=result.content_type,
                include=feed.include,
                exclude=feed.exclude,
            )
        except FeedParseError as exc:
            return self._failed(feed, str(exc))
        moved = result.permanent_redirect
        if moved and moved != feed.url:
            self.log.info("feed_moved", feed=feed.name, old_url=feed.url, new_url=moved)
        ingest = self.store.record_poll(
            feed.id,
            parsed.entries,
            channels=self.channels,
            etag=result.etag,
            last_modified=result.last_modified,
            new_url=moved if moved and moved != feed.url else None,
        )
        self.log.info(
            "feed_polled",
            feed=feed.name,
            entries=len(parsed.entries),
            new_entries=ingest.seen,
            queued=ingest.added,
            linked=ingest.linked,
            updated=ingest.updated,
            problem=parsed.problem,
        )
        for why in ingest.skipped[:5]:
            self.log.info("feed_entry_skipped", feed=feed.name, reason=why)
        return PollOutcome(feed.name, "ok", parsed.problem or "", ingest)

    def _failed(self, feed: FeedView, reason: str) -> PollOutcome:
        errors = feed.error_count + 1
        delay = backoff_delay(feed.interval, errors)
        next_poll = self.clock() + delay
        self.store.record_failure(feed.id, reason, next_poll_at=next_poll)
        self.log.warning(
            "feed_failed",
            feed=feed.name,
            url=feed.url,
            reason=reason,
            errors=errors,
            retry_at=next_poll.isoformat(),
        )
        return PollOutcome(feed.name, "error", f"{reason} (retry after {next_poll:%H:%M:%S} UTC)")

    def _fetch(self, feed: FeedView) -> FetchResult:
        from .fetch import FetchError, FetchResult, fetch

        path = local_path(feed.url)
        if path is None:
            return fetch(
                feed.url,
                limits=self.limits,
                etag=feed.etag,
                last_modified=feed.last_modified,
                client=self._client,
            )
        stat = path.stat()
        modified = _http_date(stat.st_mtime)
        common: dict[str, Any] = {
            "status": 200,
            "url": feed.url,
            "etag": None,
            "last_modified": modified,
            "permanent_redirect": None,
            "content_type": "application/xml",
        }
        if feed.last_modified == modified:
            return FetchResult(body=None, not_modified=True, gone=False, **common)
        if stat.st_size > self.limits.max_bytes:
            raise FetchError(f"{path}: {stat.st_size} bytes, the limit is {self.limits.max_bytes}")
        with path.open("rb") as f:
            body = f.read(self.limits.max_bytes + 1)
        if len(body) > self.limits.max_bytes:
            raise FetchError(f"{path}: larger than the limit of {self.limits.max_bytes} bytes")
        return FetchResult(body=body, not_modified=False, gone=False, **common)
