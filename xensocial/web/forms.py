"""Form fields -> the values the queue takes, checked as the CLI checks its options.

The add and edit forms' fields are the options of `queue add` and `queue edit`: a URL, a title, a text, a category (a
known one, `item_rules.check_category`), tags and channels (`adding.target_channels`), a
priority, not-before and expiry times (`timeinput.parse_when`, in the configuration's zone, and
`item_rules.check_expiry`). A field that cannot be used raises the same error, with the same
words, as the option would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from content_queue.errors import InvalidItem
from content_queue.limits import PRIORITY_MAX, PRIORITY_MIN
from content_queue.views import NewItem

from ..adding import target_channels
from ..item_rules import check_category, check_expiry, known_categories
from ..timeinput import parse_when

if TYPE_CHECKING:
    from content_queue.views import ItemImage, ItemView

    from ..config import Settings

__all__ = ["edit_changes", "new_item", "priority", "shown_time", "split_words"]


def split_words(value: str) -> tuple[str, ...]:
    """Tags typed as "xen, release" or "xen release": each once, in order."""
    return tuple(dict.fromkeys(w for w in value.replace(",", " ").split() if w))


def _when(settings: Settings, value: str, option: str, now: datetime) -> datetime | None:
    if not value.strip():
        return None
    return parse_when(value, zone=settings.timezone, now=now, option=option)


def priority(value: str) -> int:
    """A priority as `--priority` takes it: a whole number in the queue's range."""
    text = value.strip() or "0"
    try:
        number = int(text)
    except ValueError:
        raise InvalidItem("priority", f"{value!r} is not a whole number") from None
    if not PRIORITY_MIN <= number <= PRIORITY_MAX:
        raise InvalidItem("priority", f"must be from {PRIORITY_MIN} to {PRIORITY_MAX}")
    return number


def new_item(
    settings: Settings,
    *,
    url: str,
    title: str,
    text: str,
    category: str,
    tags: str,
    channels: Sequence[str],
    priority_text: str,
    not_before: str,
    expires: str,
    draft: bool,
    by: str,
    now: datetime,
    at: str = "",
    event_date: str = "",
    images: tuple[ItemImage, ...] = (),
) -> NewItem:
    """The item the form describes; BadInput/InvalidItem with the CLI's words when a field
    cannot be used. `at` pins it to a time, `event_date` makes it an event's announcement
    (`queue add --at`, `--event-date`); `images` are the form's, read and checked
    (`uploads.read_images`)."""
    from content_queue.urls import validate_url

    from ..editorial_input import read_editorial

    validate_url(url.strip())
    targets = target_channels(settings, [c for c in channels if c])
    begins = _when(settings, not_before, "--not-before", now)
    ends = _when(settings, expires, "--expires", now)
    check_expiry(ends, now, settings.timezone)
    ed = read_editorial(
        settings,
        now,
        evergreen=None,
        alt_text=None,
        at=at.strip() or None,
        event_date=event_date.strip() or None,
        editing=False,
        not_before=begins,
        expires_at=ends,
    )
    if not category and ed.event_at is not None:
        category = "event"
    return NewItem(
        url=url.strip(),
        channels=targets,
        title=title.strip(),
        text=text.strip(),
        category=check_category(category or "news", known_categories(settings)),
        tags=split_words(tags),
        priority=priority(priority_text),
        not_before=begins,
        expires_at=ends,
        draft=draft,
        created_by=by,
        source="manual",
        evergreen=ed.evergreen,
        publish_at=ed.at,
        event_at=ed.event_at,
        images=images,
    )


def shown_time(value: datetime | None, zone: str) -> str:
    """A stored time as the edit form shows it (and reads it back): local, to the minute."""
    from zoneinfo import ZoneInfo

    return "" if value is None else value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def edit_changes(
    settings: Settings, item: ItemView, fields: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    """The changes the edit form asks for, as `ContentQueue.edit_item` takes them: only the
    fields whose value differs from the item's (an emptied time clears it)."""
    from content_queue.urls import validate_url

    changes: dict[str, Any] = {}
    url = fields.get("url", item.url).strip()
    if url != item.url:
        validate_url(url)
        changes["url"] = url
    for name in ("title", "text"):
        value = fields.get(name, getattr(item, name)).strip()
        if value != getattr(item, name):
            changes[name] = value
    category = fields.get("category", item.category).strip()
    if category != item.category:
        changes["category"] = category
    tags = [t.lstrip("#") for t in split_words(fields.get("tags", " ".join(item.tags)))]
    if tuple(tags) != tuple(item.tags):
        changes["tags"] = tags
    number = priority(fields.get("priority", str(item.priority)))
    if number != item.priority:
        changes["priority"] = number
    for name, option in (("not_before", "--not-before"), ("expires_at", "--expires")):
        current = getattr(item, name)
        typed = fields.get(name, shown_time(current, settings.timezone)).strip()
        if typed != shown_time(current, settings.timezone):
            changes[name] = _when(settings, typed, option, now)
    typed_at, typed_event = (
        fields.get(name, shown_time(getattr(item, name), settings.timezone)).strip()
        for name in ("publish_at", "event_at")
    )
    given = {
        "at": typed_at if typed_at != shown_time(item.publish_at, settings.timezone) else None,
        "event_date": (
            typed_event if typed_event != shown_time(item.event_at, settings.timezone) else None
        ),
    }
    if any(v is not None for v in given.values()):
        from ..editorial_input import read_editorial

        ed = read_editorial(
            settings,
            now,
            evergreen=None,
            alt_text=None,
            at=None if given["at"] is None else given["at"] or "none",
            event_date=None if given["event_date"] is None else given["event_date"] or "none",
            editing=True,
        )
        changes.update(ed.changes())
    return changes
