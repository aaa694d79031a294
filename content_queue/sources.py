"""The queue's feed state: which feeds fill the queue, what each has shown, how each is doing.

A feed is a row (its URL, its settings, its conditional-GET validators, its health); an entry it
showed is a row keyed by (feed, entry key), under a unique constraint, pointing at the item it
became. That row is what makes an entry queue once, ever: a later poll that shows the entry again
(even edited) finds it and at most updates its item's words, and only while the item has not
gone out anywhere. Items are added through `ContentQueue`'s own insert, so an article carried by
two feeds (same canonical URL) becomes one item.

Nothing here fetches or parses: the caller (`xensocial.intake`) hands in plain `EntryData`. A
poll answered "not modified" is deliberately *not* recorded: it costs no database write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .db import Store
from .errors import DuplicateItem, FeedExists, FeedNotFound, InvalidItem
from .limits import MAX_TEXT, MAX_TITLE
from .plaintext import inert
from .queue import ContentQueue
from .schema import Delivery, Feed, FeedEntry, Item, ItemSource, ItemState
from .timeutil import Clock, system_clock
from .views import NewItem
from .vocabulary import OUT_STATES

__all__ = [
    "EntryData",
    "FeedExists",
    "FeedNotFound",
    "FeedSpec",
    "FeedStore",
    "FeedView",
    "IngestResult",
    "entry_key_digest",
]


def entry_key_digest(key: str) -> str:
    """The stored form of an entry key: bounded, whatever the feed's ids look like."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FeedSpec:
    """A feed's settings, as the configuration or `feeds add` declares them."""

    name: str
    url: str
    category: str = "news"
    tags: Sequence[str] = ()
    channels: Sequence[str] = ()  # empty: every channel
    auto_approve: bool = False
    interval: timedelta = timedelta(minutes=30)
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    initial: int = 1
    priority: int = 0  # of the items it queues
    managed_by: str = "cli"
    evergreen: bool = False  # its items are evergreen (see `recycling`)


@dataclass(frozen=True)
class FeedView:
    """A feed row, as a frozen value."""

    id: int
    name: str
    url: str
    managed_by: str
    category: str
    tags: tuple[str, ...]
    channels: tuple[str, ...]
    auto_approve: bool
    interval: timedelta
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    initial: int
    priority: int
    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    status: str
    last_error: str | None
    error_count: int
    next_poll_at: datetime | None
    disabled_reason: str | None
    entries_seen: int = 0

    @classmethod
    def of(cls, f: Feed, entries_seen: int = 0) -> FeedView:
        return cls(
            id=f.id,
            name=f.name,
            url=f.url,
            managed_by=f.managed_by,
            category=f.category,
            tags=tuple(f.tags),
            channels=tuple(f.channels),
            auto_approve=f.auto_approve,
            interval=timedelta(seconds=f.interval_seconds),
            include=tuple(f.include),
            exclude=tuple(f.exclude),
            initial=f.initial,
            priority=f.priority,
            etag=f.etag,
            last_modified=f.last_modified,
            last_polled_at=f.last_polled_at,
            status=f.status,
            last_error=f.last_error,
            error_count=f.error_count,
            next_poll_at=f.next_poll_at,
            disabled_reason=f.disabled_reason,
            entries_seen=entries_seen,
        )

    @property
    def disabled(self) -> bool:
        return self.disabled_reason is not None

    def as_dict(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "name": self.name,
            "url": self.url,
            "managed_by": self.managed_by,
            "category": self.category,
            "tags": list(self.tags),
            "channels": list(self.channels),
            "auto_approve": self.auto_approve,
            "interval_seconds": int(self.interval.total_seconds()),
            "include": list(self.include),
            "exclude": list(self.exclude),
            "initial": self.initial,
            "priority": self.priority,
            "status": self.status,
            "last_polled_at": iso(self.last_polled_at),
            "last_error": self.last_error,
            "error_count": self.error_count,
            "next_poll_at": iso(self.next_poll_at),
            "disabled_reason": self.disabled_reason,
            "entries_seen": self.entries_seen,
        }


@dataclass(frozen=True)
class EntryData:
    """One entry of a parsed feed, cleaned: what the store needs to queue or update it."""

    key: str  # "id:...", "link:...", "hash:..."
    url: str | None  # None: the entry has no usable link, it cannot become an item
    title: str
    text: str
    content_hash: str
    wanted: bool = True  # False: the feed's include/exclude keywords filter it out


@dataclass
class IngestResult:
    """What one poll did to the queue."""

    added: list[int] = field(default_factory=list)  # new item ids
    linked: list[int] = field(default_factory=list)  # existing items (carried by another feed)
    updated: list[int] = field(default_factory=list)  # items whose words followed an edit
    seen: int = 0  # entries new to this feed, including those only marked seen
    skipped: list[str] = field(default_factory=list)  # why some new entries became no item


class FeedStore(Store):
    """Feeds and their entries, in the queue's database."""

    def __init__(
        self,
        bind: Engine | sessionmaker[Session],
        clock: Clock = system_clock,
        *,
        evergreen_categories: Sequence[str] = (),
    ) -> None:
        """`evergreen_categories`: as for `ContentQueue` (the items a feed queues in them are
        evergreen, as are those of a feed marked evergreen)."""
        super().__init__(bind, clock)
        self._queue = ContentQueue(self._sessions, clock, evergreen_categories=evergreen_categories)

    # -- the feeds -------------------------------------------------------------------------

    def list_feeds(self) -> list[FeedView]:
        with self._sessions() as s:
            counts = dict(
                s.execute(select(FeedEntry.feed_id, func.count()).group_by(FeedEntry.feed_id)).all()
            )
            feeds = s.scalars(select(Feed).order_by(Feed.name)).all()
            return [FeedView.of(f, counts.get(f.id, 0)) for f in feeds]

    def get(self, name: str) -> FeedView:
        with self._sessions() as s:
            feed = s.scalars(select(Feed).where(Feed.name == name)).first()
            if feed is None:
                raise FeedNotFound(name)
            seen = s.scalar(select(func.count()).where(FeedEntry.feed_id == feed.id)) or 0
            return FeedView.of(feed, seen)

    def drafts(self, name: str) -> list[int]:
        """The ids of the draft items feed `name` queued (or carried, when another feed or a
        person had queued the same article), oldest first: what `queue approve --all-from-feed`
        approves. Items outlive their feed, so a removed feed's drafts are still found by their
        `created_by`; FeedNotFound when there is neither such a feed nor any item from it."""
        created_by = f"feed:{name}"
        with self._sessions() as s:
            feed_id = s.scalar(select(Feed.id).where(Feed.name == name))
            origin = [Item.created_by == created_by]
            if feed_id is not None:
                carried = select(FeedEntry.item_id).where(FeedEntry.feed_id == feed_id)
                origin.append(Item.id.in_(carried))
            ids = list(
                s.scalars(
                    select(Item.id)
                    .where(Item.state == ItemState.DRAFT.value, or_(*origin))
                    .order_by(Item.id)
                )
            )
            if feed_id is None and not ids:
                known = s.scalar(select(Item.id).where(Item.created_by == created_by).limit(1))
                if known is None:
                    raise FeedNotFound(name)
            return ids

    def add(self, spec: FeedSpec) -> FeedView:
        """Add a feed. Raises FeedExists when the name is taken."""
        with self._sessions.begin() as s:
            existing = s.scalars(select(Feed).where(Feed.name == spec.name)).first()
            if existing is not None:
                raise FeedExists(spec.name, existing.managed_by)
            feed = Feed(name=spec.name, created_at=self._clock(), status="new", error_count=0)
            _apply(feed, spec)
            s.add(feed)
            s.flush()
            return FeedView.of(feed)

    def remove(self, name: str) -> FeedView:
        """Remove a feed and its entry record; the items it queued stay in the queue."""
        with self._sessions.begin() as s:
            feed = s.scalars(select(Feed).where(Feed.name == name)).first()
            if feed is None:
                raise FeedNotFound(name)
            view = FeedView.of(feed)
            s.delete(feed)
            return view

    def sync(self, specs: Sequence[FeedSpec], *, managed_by: str = "config") -> list[str]:
        """Make the feeds managed by `managed_by` exactly `specs`: add new ones, update the
        settings of known ones (their entries and health are kept), remove the others.

        A spec whose name belongs to a feed managed otherwise (added from the CLI) takes it over.
        Returns one line per change. Writes nothing when nothing changed."""
        changes: list[str] = []
        with self._sessions() as s:
            rows = {f.name: f for f in s.scalars(select(Feed))}
            stale = [
                n
                for n, f in rows.items()
                if f.managed_by == managed_by and n not in {sp.name for sp in specs}
            ]
            dirty = [sp for sp in specs if sp.name not in rows or not _same(rows[sp.name], sp)]
            if not dirty and not stale:
                return changes
        with self._sessions.begin() as s:
            rows = {f.name: f for f in s.scalars(select(Feed))}
            for spec in dirty:
                feed = rows.get(spec.name)
                if feed is None:
                    feed = Feed(
                        name=spec.name, created_at=self._clock(), status="new", error_count=0
                    )
                    s.add(feed)
                    changes.append(f"added feed {spec.name}")
                else:
                    changes.append(f"updated feed {spec.name}")
                    if feed.url != spec.url:  # another feed now: its validators do not apply
                        feed.etag = feed.last_modified = None
                _apply(feed, spec)
            for name in stale:
                if name in rows:
                    s.delete(rows[name])
                    changes.append(f"removed feed {name}")
        return changes

    # -- the outcome of a poll -------------------------------------------------------------

    def record_failure(
        self, feed_id: int, error: str, *, next_poll_at: datetime | None, gone: bool = False
    ) -> None:
        """A poll failed: count it, keep the reason, back off until `next_poll_at`. A feed that
        is `gone` (HTTP 410) is disabled until someone polls it by name."""
        with self._sessions.begin() as s:
            feed = s.get(Feed, feed_id)
            if feed is None:
                return
            error = inert(error, "error", strict=False)[:2000]  # may quote a server's words
            feed.last_error = error
            if gone:
                feed.status = "gone"
                feed.disabled_reason = error
                feed.next_poll_at = None
            else:
                feed.status = "error"
                feed.error_count += 1
                feed.next_poll_at = next_poll_at

    def record_poll(
        self,
        feed_id: int,
        entries: Sequence[EntryData],
        *,
        channels: Sequence[str],
        etag: str | None,
        last_modified: str | None,
        new_url: str | None = None,
    ) -> IngestResult:
        """A poll got the feed: record its validators and health, and its entries newest first.

        On the feed's first successful poll every entry is marked seen and only the newest
        `initial` wanted ones are queued (no flood). Later, each new entry is queued (or linked
        to the item another feed already queued for the same URL), and an entry whose words
        changed updates its item while no delivery of it is publishing or published."""
        result = IngestResult()
        now = self._clock()
        with self._sessions.begin() as s:
            feed = s.get(Feed, feed_id)
            if feed is None:
                return result
            first_poll = feed.last_polled_at is None
            feed.etag, feed.last_modified = etag, last_modified
            if new_url:
                feed.url = new_url
            feed.last_polled_at = now
            feed.status, feed.last_error, feed.error_count = "ok", None, 0
            feed.next_poll_at, feed.disabled_reason = None, None
            digests = {entry_key_digest(e.key): e for e in entries}
            known = {
                row.entry_key: row
                for row in s.scalars(
                    select(FeedEntry).where(
                        FeedEntry.feed_id == feed_id, FeedEntry.entry_key.in_(list(digests))
                    )
                )
            }
            budget = feed.initial if first_poll else None
            handled: set[str] = set()
            for entry in entries:  # newest first
                digest = entry_key_digest(entry.key)
                if digest in handled:  # a duplicate guid within the document: first one wins
                    continue
                handled.add(digest)
                row = known.get(digest)
                if row is not None:
                    if row.content_hash != entry.content_hash:
                        row.content_hash = entry.content_hash
                        if row.item_id is not None and _follow_edit(s, row.item_id, entry, now):
                            result.updated.append(row.item_id)
                    continue
                result.seen += 1
                item_id: int | None = None
                if not entry.wanted:
                    result.skipped.append(f"{entry.key}: filtered out by the feed's keywords")
                elif entry.url is None:
                    result.skipped.append(f"{entry.key}: no link to post")
                elif budget is not None and budget <= 0:
                    pass  # first poll: an old entry, marked seen and never queued
                else:
                    if budget is not None:
                        budget -= 1
                    item_id = self._queue_entry(s, feed, entry, channels, result)
                s.add(
                    FeedEntry(
                        feed_id=feed_id,
                        entry_key=digest,
                        item_id=item_id,
                        content_hash=entry.content_hash,
                        first_seen_at=now,
                    )
                )
        return result

    def _queue_entry(
        self,
        s: Session,
        feed: Feed,
        entry: EntryData,
        channels: Sequence[str],
        result: IngestResult,
    ) -> int | None:
        assert entry.url is not None
        # A feed's own channels that the configuration no longer has are left out.
        targets = [c for c in feed.channels if c in channels] if feed.channels else list(channels)
        if not targets:
            result.skipped.append(f"{entry.key}: none of the feed's channels is configured")
            return None
        new = NewItem(
            url=entry.url,
            channels=targets,
            title=entry.title[:MAX_TITLE],
            text=entry.text[:MAX_TEXT],
            category=feed.category,
            tags=list(feed.tags),
            source=ItemSource.FEED.value,
            priority=feed.priority,
            draft=not feed.auto_approve,
            created_by=f"feed:{feed.name}",
            evergreen=True if feed.evergreen else None,  # None: the category's default
        )
        try:
            with s.begin_nested():
                item = self._queue._insert(s, new, allow_duplicate=False)
                s.flush()
        except DuplicateItem as dup:  # another feed (or staff) queued the same article
            result.linked.append(dup.existing_id)
            return dup.existing_id
        except InvalidItem as bad:
            result.skipped.append(f"{entry.key}: {bad}")
            return None
        result.added.append(item.id)
        return item.id


def _follow_edit(s: Session, item_id: int, entry: EntryData, now: datetime) -> bool:
    """Update the item's words to the edited entry's, unless it is out or going out."""
    item = s.get(Item, item_id)
    if item is None or item.state == ItemState.CANCELLED.value:
        return False
    # Out, or going out, on a channel: its words are frozen, an edit of the entry changes nothing.
    frozen = s.scalar(
        select(func.count()).where(
            Delivery.item_id == item_id, Delivery.state.in_(sorted(OUT_STATES))
        )
    )
    if frozen:
        return False
    title = inert(entry.title, "title", strict=False)[:MAX_TITLE]
    text = inert(entry.text, "text", multiline=True, strict=False)[:MAX_TEXT]
    item.title, item.text, item.updated_at = title, text, now
    return True


def _apply(feed: Feed, spec: FeedSpec) -> None:
    feed.url = spec.url
    feed.managed_by = spec.managed_by
    feed.category = inert(spec.category, "category").strip().lower() or "news"
    feed.tags = [inert(t, "tags") for t in spec.tags]
    feed.channels = list(spec.channels)
    feed.auto_approve = spec.auto_approve
    feed.interval_seconds = max(1, int(spec.interval.total_seconds()))
    feed.include = list(spec.include)
    feed.exclude = list(spec.exclude)
    feed.initial = spec.initial
    feed.priority = spec.priority
    feed.evergreen = spec.evergreen


def _same(feed: Feed, spec: FeedSpec) -> bool:
    probe = Feed()
    _apply(probe, spec)
    names = "url managed_by category tags channels auto_approve interval_seconds include exclude initial priority evergreen"
    return all(getattr(feed, n) == getattr(probe, n) for n in names.split())
