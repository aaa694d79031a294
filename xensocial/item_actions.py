"""The checks before a change to items already queued: every id exists, every draft to approve
has words, an edit keeps to the rules and still fits. `queue approve`, `queue cancel` and
`queue edit` and the web console's buttons and edit form call these, so a refusal reads the
same in a terminal and in a browser, and a change to several items is made to all of them or
none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from content_queue.views import ItemImage, ItemView

from .errors import UsageError
from .item_rules import check_category, check_expiry, check_words, known_categories

if TYPE_CHECKING:
    from content_queue.editing import Edited
    from content_queue.queue import ContentQueue

    from .config import Settings
    from .media.attach import LoadedImages

__all__ = [
    "check_approvable",
    "check_edit",
    "check_ids",
    "check_new_replies",
    "edit_item",
    "edit_reach",
]


class _Items(Protocol):
    def get(self, item_id: int) -> ItemView: ...


def check_ids(queue: _Items, ids: Sequence[int], action: str) -> None:
    """Every id exists; else UsageError naming every unknown id ("nothing was `action`")."""
    from content_queue.errors import ItemNotFound

    missing = []
    for item_id in dict.fromkeys(ids):
        try:
            queue.get(item_id)
        except ItemNotFound:
            missing.append(str(item_id))
    if missing:
        raise UsageError(f"no item with id {', '.join(missing)}; nothing was {action}")


def check_approvable(queue: _Items, ids: Sequence[int]) -> None:
    """Every draft among `ids` has words to post (`item_rules.check_words`), else nothing is
    approved: the daemon would post a bare link."""
    for item_id in dict.fromkeys(ids):
        item = queue.get(item_id)
        if item.state == "draft":
            check_words(item_id, item.title, item.text)


def check_edit(
    settings: Settings,
    queue: _Items,
    now: datetime,
    item_id: int,
    changes: dict[str, Any],
    images: Sequence[ItemImage] | None = None,
) -> None:
    """Refuse an edit (as `ContentQueue.edit_item` takes `changes`; `images` the item's new
    images, None when they are not changed) that breaks a rule every way in shares
    (`item_rules`: a known category, normalised in `changes`; an expiry still ahead; words left
    on an approved item), or that would leave the item unable to fit a channel it is still to
    be posted on (posts already out, failed or cancelled are not re-rendered), or gives it an
    alternate text that cannot fit a channel it may go out on again, or images a channel of
    the item cannot take. New replies are checked by `check_new_replies`."""
    if "category" in changes:
        changes["category"] = check_category(changes["category"], known_categories(settings))
    check_expiry(changes.get("expires_at"), now, settings.timezone)
    if changes.keys() & {"title", "text"}:
        item = queue.get(item_id)
        if item.state == "approved":
            check_words(item_id, changes.get("title", item.title), changes.get("text", item.text))
    _check_edit_fits(settings, queue, item_id, changes)
    if images is not None:
        _check_images_fit(settings, queue, item_id, images)


def edit_item(
    settings: Settings,
    queue: ContentQueue,
    now: datetime,
    item_id: int,
    changes: dict[str, Any],
    loaded: LoadedImages | None,
    *,
    by: str,
    allow_duplicate: bool = False,
) -> tuple[Edited, ItemView, list[str]]:
    """Check an edit (`check_edit`) and make it: the fields, then the images (`loaded`: the
    item's new images, none to remove them all; None: not changed), whose files are stored
    last, once every check has passed. `queue edit` and the console's edit form both come
    here. Returns the edit, the item as it now is, and the names of what changed."""
    images = None if loaded is None else loaded.items
    check_edit(settings, queue, now, item_id, changes, images)
    edited = queue.edit_item(item_id, changes, allow_duplicate=allow_duplicate, by=by)
    item, changed = edited.item, list(edited.changed)
    if loaded is not None:
        item, new_images = queue.set_images(item_id, loaded.items, by=by)
        changed += ["images"] if new_images else []
        loaded.store(settings.data_dir)  # after every check: refused input leaves no file
    return edited, item, changed


def _check_images_fit(
    settings: Settings, queue: _Items, item_id: int, images: Sequence[ItemImage]
) -> None:
    """Refuse images a channel of the item cannot take (every channel: images change only
    while nothing of the item is out, `ContentQueue.set_images`)."""
    from .rendering import adapter_class, check_images_fit

    known = settings.channel_names
    for d in queue.get(item_id).deliveries:
        if d.channel in known:
            config = settings.channel(d.channel)
            check_images_fit(config, adapter_class(settings, config), images)


def _check_edit_fits(
    settings: Settings, queue: _Items, item_id: int, changes: dict[str, Any]
) -> None:
    """The fit part of `check_edit`: the changed words on the channels still to post them."""
    from content_queue.errors import InvalidItem
    from content_queue.limits import size_problem

    from .rendering import Draft, check_fits_channels

    words = {"url", "title", "text", "category", "tags", "alt_text"}
    if not changes.keys() & words:
        return
    # Sizes first (lengths only): a huge field is refused before anything renders it.
    too_big = size_problem(**{k: v for k, v in changes.items() if k in words and v is not None})
    if too_big is not None:
        raise InvalidItem(*too_big)
    item = queue.get(item_id)
    known = settings.channel_names
    alt = (changes.get("alt_text") or "").strip()
    if alt:
        again = Draft(item.url, item.title, alt, item.category, item.tags)
        channels = [d.channel for d in item.deliveries if d.channel in known]
        check_fits_channels(settings, again, channels)
    own = {d.channel: d.text_override for d in item.deliveries if d.text_override is not None}
    draft = Draft(
        url=changes.get("url", item.url),
        title=changes.get("title", item.title),
        text=changes.get("text", item.text),
        category=changes.get("category", item.category),
        tags=changes.get("tags", item.tags),
    )
    waiting = [d.channel for d in item.deliveries if d.state == "pending"]
    link = not item.link_in_reply  # the post has no link when its first reply carries it
    check_fits_channels(settings, draft, [c for c in waiting if c in known], own, link=link)


def check_new_replies(
    settings: Settings, queue: _Items, item_id: int, replies: Sequence[str]
) -> tuple[str, ...]:
    """`replies` (a thread's new replies, docs/threads.md) as stored, checked as adding checks
    them: stored sizes (`newitems.check_replies`), then each channel's limit, the first reply
    with the item's link when it goes there (`rendering.check_replies_fit`)."""
    from content_queue.newitems import check_replies

    from .rendering import check_replies_fit

    cleaned = check_replies(tuple(replies))
    item = queue.get(item_id)
    known = settings.channel_names
    channels = [d.channel for d in item.deliveries if d.channel in known]
    link = item.url if item.link_in_reply else ""
    check_replies_fit(settings, cleaned, channels, link=link)
    return cleaned


def edit_reach(edited: Edited) -> str:
    """Which channels an edit of a partly posted item reaches, and which keep their post."""
    kept = ", ".join(edited.kept)
    if not edited.applies_to:
        return f"It is out on every channel ({kept}): those posts keep what they said."
    return (
        f"This applies to {', '.join(edited.applies_to)} (not posted yet), not to {kept}: "
        "posts already out keep what they said."
    )
