"""What an item must be for the daemon ever to post it: the checks every way in shares.

`queue add`, `queue import`, `queue edit` and `queue approve` (and a web console, later) call
these functions, one per rule, so a rule cannot hold in one place and be forgotten in another:

- **a known category** (`check_category`): the built-in ones, plus those the configuration
  names (its `categories` list, a channel's mix, `[editorial] evergreen_categories`, a feed's
  category). A misspelt one ("Announcment") would be accepted and silently lose what its
  category means (an announcement goes first at every channel's next slot);
- **an expiry still ahead** (`check_expiry`): an item that has already expired is never posted;
- **words to post** (`wordless`): an item with neither title nor text would go out as a bare
  URL, so it can be added only as a draft, and approved only once it has words.

Each refusal is an `InvalidItem` naming the field (exit 2 in the CLI; a CSV import reports it
against the row's line). Nothing here imports SQLAlchemy: `queue add` must stay fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from content_queue.errors import InvalidItem
from content_queue.plaintext import inert

if TYPE_CHECKING:
    from .config import Settings

__all__ = [
    "BUILT_IN_CATEGORIES",
    "NO_WORDS",
    "check_category",
    "check_expiry",
    "check_words",
    "known_categories",
    "wordless",
]

# What the queue and the editorial rules give a meaning to (`content_queue.selection`: an
# announcement goes first; `--event-date` makes an event), and what the README lists.
BUILT_IN_CATEGORIES = ("announcement", "article", "event", "news", "resource")

NO_WORDS = "no title or text: the daemon never posts a bare link"


def known_categories(settings: Settings) -> tuple[str, ...]:
    """Every category an item may have under `settings`, sorted."""
    named: set[str] = {*BUILT_IN_CATEGORIES, *settings.categories}
    named.update(settings.editorial.evergreen_categories)
    named.update(feed.category for feed in settings.feeds)
    for channel in settings.channels:
        if channel.mix is not None:
            named.update(channel.mix.categories)
    return tuple(sorted(named))


def check_category(value: str, known: Collection[str]) -> str:
    """`value` as items store it (inert, trimmed, lower case); InvalidItem when it is not in
    `known`, with the closest known name as a hint."""
    category = inert(value, "category").strip().lower()
    if not category:
        raise InvalidItem("category", "must not be empty")
    if category in known:
        return category
    close = difflib.get_close_matches(category, list(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InvalidItem(
        "category",
        f"{value.strip()!r} is not a known category; {hint}known: "
        f"{', '.join(sorted(known))} (name others in the configuration's `categories` list)",
    )


def check_expiry(expires_at: datetime | None, now: datetime, zone: str) -> None:
    """InvalidItem when `expires_at` is not after `now`: such an item would never be posted.
    The time is shown in `zone` (the configuration's), as staff typed it."""
    if expires_at is None or expires_at > now:
        return
    shown = expires_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    raise InvalidItem("expires", f"{shown} is already past; an expired item is never posted")


def wordless(title: str | None, text: str | None) -> bool:
    """Whether an item with this title and text has nothing to post but its link (once inert:
    a title that is only an escape sequence is no title)."""
    words = (inert(w or "", "title", strict=False).strip() for w in (title, text))
    return not any(words)


def check_words(item_id: int, title: str | None, text: str | None) -> None:
    """InvalidItem when item `item_id`, approved (or about to be), has no words to post."""
    if wordless(title, text):
        raise InvalidItem(
            "title",
            f"item {item_id} would be approved with {NO_WORDS}; give it words first "
            f"(`xensocial queue edit {item_id} --title ...`)",
        )
