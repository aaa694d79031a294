"""Coverage feeds: RSS/Atom of news searches, whose entries become press clips.

Each `[[coverage_feeds]]` table is polled on its `interval`, by the daemon or by `clips poll`,
through the same guarded fetcher as the blog feeds (`fetch`: time and size limits, the
private-address guard, conditional GET) and parsed by feedparser. Each entry with a link becomes
a clip (`content_queue.coverage.ClipStore`):

- outlet: the feed's `outlet` setting, else the entry's own source (`<source>` of an RSS item,
  as news aggregators give it), else the feed's title;
- date: the entry's published (else updated) date in the configuration's zone, else today;
- title and summary as plain text (HTML stripped), topic from the feed's `topic`, source
  `feed:NAME`.

An article already a clip (same canonical URL, from any source) is skipped without a word; an
entry without a link, or one the store refuses (dated in the future), is skipped and logged.

Unlike blog feeds, coverage feeds have no table of their own (the schema is fixed): when each
was last polled and its conditional-GET validators are kept in a small JSON file in `data_dir`
(`coverage-feeds.json`), so the daemon and `clips poll` agree on what is due and a restart does
not refetch everything. Losing the file costs one extra poll per feed, never a duplicate clip.
"""

from __future__ import annotations

import calendar
import importlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import structlog

from content_queue.coverage import ClipStore, NewClip
from content_queue.timeutil import Clock, system_clock

from ..filemodes import atomic_write, private_dir
from .entries import NotPlainText, _link, _summary, clean_text, plain_title
from .poller import local_path

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.engine import Engine

    from ..config import Settings
    from ..config.report import CoverageFeedConfig
    from .fetch import FetchLimits

__all__ = [
    "STATE_FILE",
    "CoverageEntry",
    "CoverageJobs",
    "CoverageOutcome",
    "CoveragePoller",
    "PollState",
    "make_coverage_poller",
    "parse_coverage",
]

STATE_FILE = "coverage-feeds.json"
_MAX_TITLE = 1000
_MAX_SUMMARY = 10_000
_MAX_OUTLET = 200
_MAX_TOPIC = 100

log = structlog.get_logger("xensocial.intake")


@dataclass(frozen=True)
class CoverageEntry:
    """One entry of a coverage feed, as plain values."""

    url: str | None  # None: no usable link, it cannot become a clip
    title: str
    summary: str
    published: date | None  # in the configuration's zone
    source: str  # the entry's own source (its outlet), "" when it names none


@dataclass(frozen=True)
class CoverageOutcome:
    """What one poll of one coverage feed did. `status`: ok, not_modified, error."""

    feed: str
    status: str
    detail: str = ""
    added: int = 0
    duplicates: int = 0
    skipped: int = 0

    def describe(self) -> str:
        if self.status == "ok":
            words = f"{self.added} clip(s) added, {self.duplicates} already known"
            return f"{self.feed}: {words}" + (f", {self.skipped} skipped" if self.skipped else "")
        return f"{self.feed}: {self.status.replace('_', ' ')}" + (
            f": {self.detail}" if self.detail else ""
        )


def _day(entry: Any, zone: ZoneInfo) -> date | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:  # feedparser's struct_time is in UTC
            return datetime.fromtimestamp(calendar.timegm(value), zone).date()
    return None


def parse_coverage(
    body: bytes, *, url: str, content_type: str | None, zone: ZoneInfo
) -> tuple[str, list[CoverageEntry]]:
    """The feed's title and its entries. Raises ValueError when `body` is not a feed, or is
    refused whole as feeds of items are (`docguard`, `entries.plain_title`)."""
    feedparser: Any = importlib.import_module("feedparser")  # untyped, and slow to import
    from .docguard import check_document

    check_document(body)  # a tag bomb or an entity bomb is refused unparsed (ValueErrors)
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise ValueError(f"not a feed ({problem or 'no RSS or Atom document found'})")
    entries = []
    for index, e in enumerate(parsed.entries):
        try:
            title = plain_title(e.get("title", "") or "")
        except NotPlainText as exc:
            raise ValueError(
                f"refused: the title of entry {index + 1} is not plain text ({exc}); "
                "no clip was recorded from this feed"
            ) from None
        entries.append(
            CoverageEntry(
                url=_link(e),
                title=title,
                summary=_summary(e),
                published=_day(e, zone),
                source=clean_text((e.get("source") or {}).get("title", "") or ""),
            )
        )
    return clean_text(parsed.feed.get("title", "") or ""), entries


class PollState:
    """When each coverage feed was last polled, and its validators: a JSON file, written whole
    (to a temporary file, then renamed) so a reader never sees half of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # missing or damaged: every feed is due, which is safe
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _record(data: dict[str, Any], feed: CoverageFeedConfig) -> dict[str, Any]:
        record = data.get(feed.name)
        return record if isinstance(record, dict) and record.get("url") == feed.url else {}

    def get(self, feed: CoverageFeedConfig) -> dict[str, Any]:
        """The feed's record, {} when it was never polled (or its URL changed since)."""
        return self._record(self._read(), feed)

    def put(self, feed: CoverageFeedConfig, **values: Any) -> None:
        """Update the feed's record with `values`. Raises OSError when it cannot be written."""
        with self._lock:
            data = self._read()
            data[feed.name] = {**self._record(data, feed), **values, "url": feed.url}
            private_dir(self.path.parent)
            with atomic_write(self.path) as f:
                json.dump(data, f, indent=1, sort_keys=True)


class CoveragePoller:
    """Polls coverage feeds into the clip store; one poll never raises for the feed's faults."""

    def __init__(
        self,
        store: ClipStore,
        *,
        state: PollState,
        limits: FetchLimits,
        timezone: str,
        clock: Clock = system_clock,
        logger: Any = None,
    ) -> None:
        self.store = store
        self.state = state
        self.limits = limits
        self.zone = ZoneInfo(timezone)
        self.clock = clock
        self.log = logger if logger is not None else log
        self._client: httpx.Client | None = None

    def next_poll_at(self, feed: CoverageFeedConfig) -> datetime:
        """When `feed` is due: now when never polled, else its last attempt plus its interval."""
        try:
            return datetime.fromisoformat(self.state.get(feed)["attempted_at"]) + feed.interval
        except (KeyError, TypeError, ValueError):  # never polled, or a damaged record
            return self.clock()

    def due(self, feed: CoverageFeedConfig) -> bool:
        return self.next_poll_at(feed) <= self.clock()

    def poll_many(self, feeds: Sequence[CoverageFeedConfig]) -> list[CoverageOutcome]:
        """Poll `feeds` one after the other, sharing one connection pool."""
        from .fetch import make_client

        with make_client(self.limits, max_connections=1) as client:
            self._client = client
            try:
                return [self.poll(f) for f in feeds]
            finally:
                self._client = None

    def poll(self, feed: CoverageFeedConfig) -> CoverageOutcome:
        """Poll one feed now, whatever its schedule, and record the attempt."""
        now = self.clock()
        try:
            outcome, validators = self._poll(feed)
        except Exception as exc:  # a bug or a database fault: still one feed, one line
            self.log.exception("coverage_feed_crashed", feed=feed.name, url=feed.url)
            outcome, validators = (
                CoverageOutcome(feed.name, "error", f"{type(exc).__name__}: {exc}"),
                None,
            )
        values: dict[str, Any] = {
            "attempted_at": now.isoformat(),
            "error": outcome.detail if outcome.status == "error" else None,
        }
        if validators is not None:  # only once the entries are stored: a 304 must not hide them
            values["etag"], values["last_modified"] = validators
        try:
            self.state.put(feed, **values)
        except OSError as exc:
            self.log.warning("coverage_state_not_saved", path=str(self.state.path), reason=str(exc))
        return outcome

    def _poll(
        self, feed: CoverageFeedConfig
    ) -> tuple[CoverageOutcome, tuple[str | None, str | None] | None]:
        from .fetch import FetchError, fetch

        record = self.state.get(feed)
        try:
            path = local_path(feed.url)
            if path is None:
                result = fetch(
                    feed.url,
                    limits=self.limits,
                    etag=record.get("etag"),
                    last_modified=record.get("last_modified"),
                    client=self._client,
                )
                if result.not_modified:
                    return CoverageOutcome(feed.name, "not_modified"), None
                if result.gone:
                    raise FetchError("HTTP 410 Gone: the feed was removed; fix its url", status=410)
                body, validators = result.body or b"", (result.etag, result.last_modified)
                content_type = result.content_type
            else:
                body, validators, content_type = self._read_file(path), (None, None), None
            title, entries = parse_coverage(
                body, url=feed.url, content_type=content_type, zone=self.zone
            )
        except (FetchError, OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            self.log.warning("coverage_feed_failed", feed=feed.name, url=feed.url, reason=reason)
            return CoverageOutcome(feed.name, "error", reason), None
        return self._ingest(feed, title, entries), validators

    def _read_file(self, path: Path) -> bytes:
        with path.open("rb") as f:
            body = f.read(self.limits.max_bytes + 1)
        if len(body) > self.limits.max_bytes:
            raise ValueError(f"{path}: larger than the limit of {self.limits.max_bytes} bytes")
        return body

    def _ingest(
        self, feed: CoverageFeedConfig, title: str, entries: Sequence[CoverageEntry]
    ) -> CoverageOutcome:
        today = self.clock().astimezone(self.zone).date()
        clips: list[tuple[int, NewClip]] = []
        skipped: list[str] = []
        for n, entry in enumerate(entries, start=1):
            if entry.url is None:
                skipped.append(f"entry {n} ({entry.title or 'untitled'}): no link")
                continue
            outlet = feed.outlet or entry.source or title
            new = NewClip(
                url=entry.url,
                published_on=entry.published or today,
                title=entry.title[:_MAX_TITLE],
                summary=entry.summary[:_MAX_SUMMARY],
                outlet=outlet[:_MAX_OUTLET],
                topic=feed.topic[:_MAX_TOPIC],
                source=f"feed:{feed.name}",
                created_by=f"feed:{feed.name}",
            )
            clips.append((n, new))
        result = self.store.add_many(clips, skip_bad=True, path=feed.name)
        skipped += [f"entry {e.line}: {e.message}" for e in result.refused]
        self.log.info(
            "coverage_feed_polled",
            feed=feed.name,
            entries=len(entries),
            added=[view.id for _, view in result.added],
            already_known=len(result.duplicates),
            skipped=len(skipped),
        )
        for why in skipped[:5]:
            self.log.info("coverage_entry_skipped", feed=feed.name, reason=why)
        return CoverageOutcome(
            feed.name, "ok", "", len(result.added), len(result.duplicates), len(skipped)
        )


def make_coverage_poller(
    settings: Settings, engine: Engine, *, clock: Clock = system_clock, logger: Any = None
) -> CoveragePoller:
    return CoveragePoller(
        ClipStore(engine, clock=clock),
        state=PollState(settings.data_dir / STATE_FILE),
        limits=settings.intake.fetch_limits(),
        timezone=settings.timezone,
        clock=clock,
        logger=logger,
    )


class CoverageJobs:
    """The daemon's coverage polling: one interval job per coverage feed, in one thread of its
    own (a slow news search delays no slot and no blog feed).

    `solo(name, job)` runs a poll unless another replica is running it (`replicas.Replica`);
    without it every poll runs (a second poll of the same feed adds no clip twice anyway)."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        stop: threading.Event,
        dry_run: bool = False,
        solo: Callable[[str, Callable[[], None]], object] | None = None,
    ) -> None:
        self.feeds = {f.name: f for f in settings.coverage_feeds}
        self.poller = make_coverage_poller(settings, engine)
        self.stop = stop
        self.dry_run = dry_run
        self.solo = solo

    def schedule(self, scheduler: Any) -> None:
        if self.dry_run or not self.feeds:
            return
        from apscheduler.executors.pool import ThreadPoolExecutor

        scheduler.add_executor(ThreadPoolExecutor(max_workers=1), "coverage")
        now = system_clock()
        for feed in self.feeds.values():
            first = max(self.poller.next_poll_at(feed), now)
            scheduler.add_job(
                self.poll,
                "interval",
                args=[feed.name],
                seconds=feed.interval.total_seconds(),
                next_run_time=first,
                id=f"coverage:{feed.name}",
                name=f"coverage feed {feed.name}",
                executor="coverage",
            )
            log.info(
                "coverage_feed_scheduled",
                feed=feed.name,
                url=feed.url,
                interval_s=int(feed.interval.total_seconds()),
                first_poll=first.isoformat(),
            )

    def poll(self, name: str) -> None:
        """One tick of a feed's job; a failure is logged by the poller, never raised."""
        if self.stop.is_set():
            return
        feed = self.feeds[name]

        def job() -> None:
            self.poller.poll(feed)

        if self.solo is None:
            job()
        else:
            self.solo(f"coverage:{name}", job)
