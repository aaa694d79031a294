"""Press clips, programme activities and keyword counts: what the report counts beyond our posts.

- A **clip** is one article of press coverage, recognised by its canonical URL (`urls`): the
  same article added by hand, imported from a CSV file or shown again by a coverage feed is one
  clip. Adding by hand a URL that is already a clip is refused, naming the clip; an import or a
  feed skips it and says so.
- An **activity** is work of the communications programme that is not a social post (a press
  release, an interview, an analyst briefing, member content, an event): one per kind, day and
  title, so importing the same file twice adds nothing.
- A **keyword count** is how many posts on a network mentioned a competitor over a period, as
  the network counted them. Counts are appended and never overwritten: a period already
  recorded is left as it was (the table's unique constraint makes a repeat a no-op).

Like the rest of `content_queue` this knows nothing of networks, feeds or the configuration:
callers hand in plain values, days as calendar dates (`datetime.date`, the article's or the
activity's own day), and a clock for `created_at`.

This module holds the stores of clips and activities (one rule for adding rows that must not
repeat, by hand or in bulk); the records themselves and their checks are in `coverage_records`
(which the CSV import shares), keyword counts in `keyword_counts`. Every name is re-exported
here, so `from content_queue.coverage import ...` finds them all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .bulk import add_rows
from .coverage_records import (
    ACTIVITY_KINDS,
    ActivityView,
    ClipView,
    NewActivity,
    NewClip,
    check_activity,
    check_clip,
    month_bounds,
)
from .db import Store
from .errors import DuplicateActivity, DuplicateClip, InvalidItem, RowError
from .keyword_counts import KeywordCountStore
from .schema import Activity, Clip
from .urls import canonical_url

__all__ = [
    "ACTIVITY_KINDS",
    "ActivityStore",
    "ActivityView",
    "ClipStore",
    "ClipView",
    "CoverageImport",
    "DuplicateActivity",
    "DuplicateClip",
    "KeywordCountStore",
    "NewActivity",
    "NewClip",
    "check_activity",
    "check_clip",
    "month_bounds",
]


# -- the stores ------------------------------------------------------------------------------

NewT = TypeVar("NewT", NewClip, NewActivity)
RowT = TypeVar("RowT", Clip, Activity)
ViewT = TypeVar("ViewT", ClipView, ActivityView)


@dataclass
class CoverageImport(Generic[ViewT]):
    """What a bulk add did: rows added, duplicates skipped, rows refused (with line numbers)."""

    added: list[tuple[int, ViewT]] = field(default_factory=list)
    duplicates: list[tuple[int, DuplicateClip | DuplicateActivity]] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)

    def on_added(self, line: int, view: ViewT) -> None:
        self.added.append((line, view))

    def on_duplicate(self, line: int, duplicate: DuplicateClip | DuplicateActivity) -> None:
        self.duplicates.append((line, duplicate))

    def on_refused(self, error: RowError) -> None:
        self.refused.append(error)


class _Store(Store, ABC, Generic[NewT, RowT, ViewT]):
    """Adding rows that must not repeat: one by hand (a repeat is refused) or many at once (a
    repeat is skipped, a bad row refuses the whole batch unless `skip_bad`)."""

    @abstractmethod
    def _check(self, new: NewT) -> NewT:
        """The cleaned row, or InvalidItem."""

    @abstractmethod
    def _existing(self, s: Session, new: NewT) -> RowT | None:
        """The stored row `new` would repeat."""

    @abstractmethod
    def _key(self, new: NewT) -> Hashable:
        """What a checked row and the rows it would repeat share."""

    @abstractmethod
    def _existing_many(self, s: Session, keys: Collection[Hashable]) -> dict[Hashable, RowT]:
        """The stored rows with these `_key`s, by key: one query."""

    @abstractmethod
    def _duplicate(self, new: NewT, existing: RowT | ViewT) -> DuplicateClip | DuplicateActivity:
        """The error that names the row `new` repeats (stored, or added by the same import)."""

    @abstractmethod
    def _row(self, new: NewT) -> RowT:
        """A new row for a checked `new`."""

    @abstractmethod
    def _view(self, row: RowT) -> ViewT: ...

    def add(self, new: NewT) -> ViewT:
        """Add one row; raises InvalidItem for a bad field, or the store's Duplicate error."""
        checked = self._check(new)
        with self._sessions.begin() as s:
            return self._view(self._insert(s, checked))

    def add_many(
        self,
        rows: Iterable[tuple[int, NewT] | RowError],
        *,
        skip_bad: bool = False,
        path: str = "<rows>",
    ) -> CoverageImport[ViewT]:
        """Add rows (each with its line number; a RowError is a row the reader refused) in one
        transaction, read as they come (`bulk.add_rows`). Repeats, of the database or of an
        earlier row, are skipped and reported. A bad row aborts everything with ImportFailed,
        unless `skip_bad`: then it is reported and the good rows go in."""
        result: CoverageImport[ViewT] = CoverageImport()
        add_rows(
            self._sessions,
            rows,
            _StoreRows(self),
            (DuplicateClip, DuplicateActivity),
            result,
            skip_bad=skip_bad,
            path=path,
        )
        return result

    def _insert(self, s: Session, new: NewT) -> RowT:
        existing = self._existing(s, new)
        if existing is not None:
            raise self._duplicate(new, existing)
        row = self._row(new)
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except IntegrityError:  # another process added the same one since the check above
            existing = self._existing(s, new)
            if existing is None:
                raise
            raise self._duplicate(new, existing) from None
        return row


class _StoreRows(Generic[NewT, RowT, ViewT]):
    """A store's rows as `bulk.add_rows` adds them (a `bulk.BulkKind`)."""

    def __init__(self, store: _Store[NewT, RowT, ViewT]) -> None:
        self._store: _Store[NewT, RowT, ViewT] = store

    def check(self, new: NewT) -> NewT:
        return self._store._check(new)

    def key(self, new: NewT) -> Hashable:
        return self._store._key(new)

    def stored(
        self, s: Session, batch: Sequence[NewT], keys: Sequence[Hashable | None]
    ) -> list[DuplicateClip | DuplicateActivity | None]:
        store = self._store
        found = store._existing_many(s, {key for key in keys if key is not None})
        out: list[DuplicateClip | DuplicateActivity | None] = []
        for new, key in zip(batch, keys, strict=True):
            existing = found.get(key)
            out.append(None if existing is None else store._duplicate(new, existing))
        return out

    def insert(self, s: Session, new: NewT) -> ViewT:
        return self._store._view(self._store._insert(s, new))

    def repeat_of(self, new: NewT, earlier: ViewT) -> DuplicateClip | DuplicateActivity:
        return self._store._duplicate(new, earlier)


def _between(column: Any, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


class ClipStore(_Store[NewClip, Clip, ClipView]):
    """Press clips, one per canonical URL."""

    def _check(self, new: NewClip) -> NewClip:
        return check_clip(new, self._clock().date())

    def _existing(self, s: Session, new: NewClip) -> Clip | None:
        canon = canonical_url(new.url)
        return s.scalars(select(Clip).where(Clip.canonical_url == canon)).first()

    def _key(self, new: NewClip) -> Hashable:
        return canonical_url(new.url)

    def _existing_many(self, s: Session, keys: Collection[Hashable]) -> dict[Hashable, Clip]:
        canons = {str(key) for key in keys}
        return {
            c.canonical_url: c
            for c in s.scalars(select(Clip).where(Clip.canonical_url.in_(canons)))
        }

    def _duplicate(self, new: NewClip, existing: Clip | ClipView) -> DuplicateClip:
        return DuplicateClip(new.url, existing.id, existing.title)

    def _row(self, new: NewClip) -> Clip:
        return Clip(
            url=new.url,
            canonical_url=canonical_url(new.url),
            title=new.title,
            summary=new.summary,
            outlet=new.outlet,
            published_on=new.published_on,
            topic=new.topic,
            source=new.source,
            created_at=self._clock(),
            created_by=new.created_by,
        )

    def _view(self, row: Clip) -> ClipView:
        return ClipView.of(row)

    def find(self, url: str) -> ClipView | None:
        """The clip of the same article as `url`, if any."""
        with self._sessions() as s:
            found = self._existing(s, NewClip(url=url, published_on=date.min))
            return ClipView.of(found) if found else None

    def list_clips(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        topic: str | None = None,
        outlet: str | None = None,
        source: str | None = None,
        limit: int | None = None,
    ) -> list[ClipView]:
        """Clips dated from `start` to before `end`, newest first. `topic` and `outlet` ignore
        case; `source` is manual, csv, feed:NAME, or `feed` for every feed."""
        query = select(Clip).where(*_between(Clip.published_on, start, end))
        if topic is not None:
            query = query.where(func.lower(Clip.topic) == topic.strip().lower())
        if outlet is not None:
            query = query.where(func.lower(Clip.outlet) == outlet.strip().lower())
        if source == "feed":
            query = query.where(Clip.source.startswith("feed:"))
        elif source is not None:
            query = query.where(Clip.source == source)
        query = query.order_by(Clip.published_on.desc(), Clip.id.desc()).limit(limit)
        with self._sessions() as s:
            return [ClipView.of(c) for c in s.scalars(query)]


class ActivityStore(_Store[NewActivity, Activity, ActivityView]):
    """Programme activities, one per kind, day and title."""

    def _check(self, new: NewActivity) -> NewActivity:
        return check_activity(new)

    def _existing(self, s: Session, new: NewActivity) -> Activity | None:
        return s.scalars(
            select(Activity).where(
                Activity.kind == new.kind,
                Activity.happened_on == new.happened_on,
                Activity.title == new.title,
            )
        ).first()

    def _key(self, new: NewActivity) -> Hashable:
        return (new.kind, new.happened_on, new.title)

    def _existing_many(self, s: Session, keys: Collection[Hashable]) -> dict[Hashable, Activity]:
        if not keys:
            return {}
        same = tuple_(Activity.kind, Activity.happened_on, Activity.title).in_(set(keys))
        return {
            (a.kind, a.happened_on, a.title): a for a in s.scalars(select(Activity).where(same))
        }

    def _duplicate(self, new: NewActivity, existing: Activity | ActivityView) -> DuplicateActivity:
        return DuplicateActivity(new.kind, new.happened_on, new.title, existing.id)

    def _row(self, new: NewActivity) -> Activity:
        return Activity(
            kind=new.kind,
            happened_on=new.happened_on,
            title=new.title,
            url=new.url,
            outlet=new.outlet,
            note=new.note,
            source=new.source,
            created_at=self._clock(),
            created_by=new.created_by,
        )

    def _view(self, row: Activity) -> ActivityView:
        return ActivityView.of(row)

    def list_activities(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        kind: str | None = None,
        limit: int | None = None,
    ) -> list[ActivityView]:
        """Activities from `start` to before `end`, newest first; InvalidItem for a bad kind."""
        query = select(Activity).where(*_between(Activity.happened_on, start, end))
        if kind is not None:
            wanted = kind.strip().lower()
            if wanted not in ACTIVITY_KINDS:
                raise InvalidItem("kind", f"{kind!r} is not one of {', '.join(ACTIVITY_KINDS)}")
            query = query.where(Activity.kind == wanted)
        query = query.order_by(Activity.happened_on.desc(), Activity.id.desc()).limit(limit)
        with self._sessions() as s:
            return [ActivityView.of(a) for a in s.scalars(query)]
