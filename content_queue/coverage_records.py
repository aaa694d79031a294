"""What a press clip and a programme activity are, as values: their fields, their checks, their
views, and the month a report asks for.

Its own module because two readers build these records and must check them the same way: the
stores (`coverage`: by hand, from a feed) and the CSV import (`coverage_csv`), which checks
every row before anything is stored; here the checks are written once, with no storage in them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import InvalidItem
from .limits import year_problem
from .plaintext import inert
from .urls import validate_url

if TYPE_CHECKING:
    from .schema import Activity, Clip

__all__ = [
    "ACTIVITY_KINDS",
    "ActivityView",
    "ClipView",
    "NewActivity",
    "NewClip",
    "check_activity",
    "check_clip",
    "columns_of",
    "month_bounds",
]

ACTIVITY_KINDS = ("press-release", "interview", "analyst-briefing", "member-content", "event")
_MAX_TITLE = 1000
_MAX_TEXT = 10_000
_MAX_OUTLET = 200  # the columns' sizes (PostgreSQL enforces them, SQLite does not)
_MAX_TOPIC = 100
_MAX_SOURCE = 120
_MAX_BY = 100
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# A clip dated after tomorrow is a typo: an article is not published in the future (one day's
# grace, because the article's own zone may be ahead of ours).
_FUTURE_GRACE = timedelta(days=1)


def month_bounds(text: str) -> tuple[date, date]:
    """The first day of the month `text` names (YYYY-MM) and the first day of the next one."""
    m = _MONTH.match(text.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise InvalidItem("month", f"{text!r} is not a month; expected YYYY-MM, e.g. 2026-03")
    year, month = int(m.group(1)), int(m.group(2))
    problem = year_problem(year)
    if problem is not None:
        raise InvalidItem("month", f"{text!r}: {problem}")
    first = date(year, month, 1)
    return first, date(year + month // 12, month % 12 + 1, 1)


def _bounded(name: str, value: str, limit: int, *, multiline: bool = False) -> str:
    cleaned = inert(value, name, multiline=multiline).strip()
    if len(cleaned) > limit:
        raise InvalidItem(name, f"{len(cleaned)} characters, at most {limit}")
    return cleaned


def columns_of(view: type[Any], row: Any) -> dict[str, Any]:
    """The values of `row` for the fields of the frozen `view` (named like its columns)."""
    return {f.name: getattr(row, f.name) for f in fields(view)}


def _outlet_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


# -- clips -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewClip:
    """A clip to add. An empty `outlet` becomes the URL's host (without `www.`)."""

    url: str
    published_on: date
    title: str = ""
    summary: str = ""
    outlet: str = ""
    topic: str = ""
    source: str = "manual"  # manual, csv, feed:NAME
    created_by: str = ""


@dataclass(frozen=True)
class ClipView:
    id: int
    url: str
    title: str
    summary: str
    outlet: str
    published_on: date
    topic: str
    source: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: Clip) -> ClipView:
        return cls(**columns_of(cls, row))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "summary": self.summary,
            "outlet": self.outlet,
            "date": self.published_on.isoformat(),
            "topic": self.topic,
            "source": self.source,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


def check_clip(new: NewClip, today: date) -> NewClip:
    """`new` with its fields cleaned, or InvalidItem naming the first bad field. `today` is the
    caller's date: a clip dated more than a day after it is refused as a typo."""
    url = validate_url(new.url)
    if new.published_on > today + _FUTURE_GRACE:
        raise InvalidItem("date", f"{new.published_on.isoformat()} is in the future")
    source = _bounded("source", new.source, _MAX_SOURCE)
    if source not in ("manual", "csv") and not source.startswith("feed:"):
        raise InvalidItem("source", f"{source!r} is not one of manual, csv, feed:NAME")
    return replace(
        new,
        url=url,
        title=_bounded("title", new.title, _MAX_TITLE),
        summary=_bounded("summary", new.summary, _MAX_TEXT, multiline=True),
        outlet=_bounded("outlet", new.outlet, _MAX_OUTLET) or _outlet_of(url),
        topic=_bounded("topic", new.topic, _MAX_TOPIC),
        source=source,
        created_by=new.created_by.strip()[:_MAX_BY],
    )


# -- activities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewActivity:
    kind: str  # one of ACTIVITY_KINDS
    happened_on: date
    title: str
    url: str | None = None
    outlet: str = ""
    note: str = ""
    source: str = "manual"  # manual, csv
    created_by: str = ""


@dataclass(frozen=True)
class ActivityView:
    id: int
    kind: str
    happened_on: date
    title: str
    url: str | None
    outlet: str
    note: str
    source: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: Activity) -> ActivityView:
        return cls(**columns_of(cls, row))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "date": self.happened_on.isoformat(),
            "title": self.title,
            "url": self.url,
            "outlet": self.outlet,
            "note": self.note,
            "source": self.source,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
        }


def check_activity(new: NewActivity) -> NewActivity:
    """`new` with its fields cleaned, or InvalidItem naming the first bad field. The title's
    runs of spaces are folded, so "the same title" does not depend on stray spaces."""
    kind = new.kind.strip().lower()
    if kind not in ACTIVITY_KINDS:
        raise InvalidItem("kind", f"{new.kind!r} is not one of {', '.join(ACTIVITY_KINDS)}")
    title = " ".join(inert(new.title, "title").split())
    if not title:
        raise InvalidItem("title", "missing; every activity needs one")
    url = (new.url or "").strip()
    if new.source not in ("manual", "csv"):
        raise InvalidItem("source", f"{new.source!r} is not one of manual, csv")
    return replace(
        new,
        kind=kind,
        title=_bounded("title", title, _MAX_TITLE),
        url=validate_url(url) if url else None,
        outlet=_bounded("outlet", new.outlet, _MAX_OUTLET),
        note=_bounded("note", new.note, _MAX_TEXT, multiline=True),
        created_by=new.created_by.strip()[:_MAX_BY],
    )
