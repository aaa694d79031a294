"""Adding one item, as staff do it: the checks and the page's words, for the CLI and the console.

`xensocial queue add` and the web console's "add a link" both come here, so the same link is
refused with the same message wherever it is typed:

- `target_channels`: the channels named must be configured (none named: every channel);
- `page_words`: without a title, the page's own title (and description, without a text) is
  read through the guarded fetcher (`intake.links`); a refused address stops the add, a page
  that cannot be read does not (the item is never lost);
- `add_item`: the queue's limits, the page's words when asked for, a draft when there are no
  words at all (`item_rules.wordless`), the fit on every target channel (without the link
  when the first reply carries it) and the images on every target network
  (`rendering.check_fits_channels`), each of a thread's replies on every target channel
  (`rendering.check_replies_fit`, docs/threads.md), then one call to the writer. The images' files are the caller's to store once the add is done
  (`media.attach.LoadedImages.store`), so a refused add leaves no file behind.

The callers parse their own input (options, form fields) into a `NewItem` and say the outcome
their own way (a line on stderr, a notice in the page).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:
    from content_queue.interfaces import QueueWriter
    from content_queue.views import ItemView, NewItem

    from .config import Settings
    from .intake.links import LinkMetadata

__all__ = ["Added", "add_item", "fetch_page", "page_words", "target_channels"]


def target_channels(settings: Settings, given: Sequence[str]) -> list[str]:
    """The channels an item goes to: those `given` (each must be configured), else every one."""
    known = settings.channel_names
    if not given:
        if not known:
            raise UsageError(f"{settings.source} configures no channel; add a [[channels]] table")
        return known
    unknown = [c for c in given if c not in known]
    if unknown:
        raise UsageError(
            f"unknown channel {', '.join(repr(c) for c in unknown)}; "
            f"the channels are: {', '.join(known) or 'none'}"
        )
    return list(dict.fromkeys(given))


def fetch_page(settings: Settings, url: str) -> tuple[LinkMetadata | None, str]:
    """The page's metadata, read through the guarded fetcher, or None and why not. A refused
    address (loopback, private, link-local: docs/intake.md) raises UsageError: the guard's
    refusal is the point, and is said as the CLI says it."""
    from .intake.fetch import FetchError
    from .intake.links import fetch_link_metadata

    if not settings.intake.fetch_link_details:
        return None, "the page was not read ([intake] fetch_link_details = false)"
    try:
        return fetch_link_metadata(url, settings.intake.fetch_limits()), ""
    except FetchError as exc:
        if exc.refused:
            raise UsageError(
                f"{exc.reason}. To add the link without reading the page, give --title"
            ) from None
        return None, f"could not read the page's title ({exc.reason})"


def page_words(
    settings: Settings,
    writer: QueueWriter,
    new: NewItem,
    *,
    allow_duplicate: bool,
    say: Callable[[str], None],
) -> tuple[NewItem, str]:
    """`new` with the page's own title, and its description when it has no text; and, when
    the page gave no words, why (else "").

    The URL, the dates and duplicates are checked first (as the queue will check them again),
    so input that will be refused costs no fetch."""
    from content_queue.errors import DuplicateItem, InvalidItem
    from content_queue.timeutil import as_utc
    from content_queue.urls import validate_url

    url = validate_url(new.url)
    if new.not_before and new.expires_at and as_utc(new.expires_at) <= as_utc(new.not_before):
        raise InvalidItem("expires_at", "must be later than not_before")
    existing = None if allow_duplicate else writer.find_duplicate(url)
    if existing is not None:
        raise DuplicateItem(url, existing.id, existing.state)
    meta, unread = fetch_page(settings, url)
    if meta is None:
        return new, unread
    if meta.title:
        say(f"Title from the page: {meta.title}")
    new = replace(new, title=meta.title or "", text=new.text or meta.description or "")
    return new, "" if meta.title else "the page has no title"


@dataclass(frozen=True)
class Added:
    """The item added; why the page gave no words ("" when it did, or was not needed); and
    whether it was made a draft for having no words at all."""

    item: ItemView
    unread: str
    drafted: bool


def add_item(
    settings: Settings,
    writer: QueueWriter,
    new: NewItem,
    *,
    fetch_words: bool,
    allow_duplicate: bool,
    say: Callable[[str], None],
) -> Added:
    """Check `new` and add it (see the module docstring); every check runs before the write."""
    from content_queue.newitems import check_new_item, plain_item

    from .item_rules import wordless
    from .rendering import Draft, check_fits_channels, check_replies_fit

    check_new_item(new)  # the queue's limits first: a huge field is refused before rendering
    unread = ""
    if fetch_words:  # after every other check: a refused add fetches nothing
        new, unread = page_words(settings, writer, new, allow_duplicate=allow_duplicate, say=say)
    drafted = not new.draft and wordless(new.title, new.text)
    if drafted:
        new = replace(new, draft=True)
    # Refused now, not at post time: the post (without its link when the first reply has it)
    # with its images, and each reply, on every channel.
    check_fits_channels(settings, new, new.channels, images=new.images, link=not new.link_in_reply)
    link = new.url if new.link_in_reply else ""
    check_replies_fit(settings, plain_item(new).replies, new.channels, link=link)
    if new.alt_text:
        alt = Draft(new.url, new.title, new.alt_text, new.category, new.tags)
        check_fits_channels(settings, alt, new.channels)
    item = writer.add(new, allow_duplicate=allow_duplicate)
    return Added(item, unread, drafted)
