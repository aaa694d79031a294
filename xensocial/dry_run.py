"""`xensocial run --dry-run`: a slot's decisions made read-only, and said instead of done.

The same claim check, the same slot gate (`xensocial.slot_gate`, through the publisher) and the
same editorial choice as a real slot (`xensocial.publishing`), but nothing is written to the
ledger and no adapter is called: the text the network would get is logged instead, under the
publisher's logger and with `dry_run=true`, so a dry run reads like the run it stands for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from content_queue.schema import SlotOutcome

from .rendering import make_post, make_replies
from .slot_gate import SlotResult

if TYPE_CHECKING:
    from content_queue import ContentQueue, Ledger

    from .adapters.base import Adapter
    from .config import ChannelConfig
    from .editorial import SlotChooser

__all__ = ["dry_run_slot"]

log = structlog.get_logger("xensocial.publishing")


def dry_run_slot(
    ledger: Ledger,
    chooser: SlotChooser,
    queue: ContentQueue,
    adapter: Adapter,
    channel: ChannelConfig,
    slot_at: datetime,
    *,
    now: datetime,
    gate: Callable[[], str | None],
    pinned: bool,
) -> SlotResult:
    """What the slot `slot_at` of `channel` would do at `now`; `gate` is the publisher's slot
    gate for it (asked only when the slot is not claimed already, as a real slot does)."""
    name = channel.name
    slog = log.bind(channel=name, slot=slot_at.isoformat(), dry_run=True)
    if slot_at in ledger.slots_claimed(name, slot_at):
        slog.info("slot_already_claimed")
        return SlotResult(name, slot_at, None, detail="already claimed")
    reason = gate()
    if reason is not None:
        slog.info("dry_run_would_skip", reason=reason)
        return SlotResult(name, slot_at, SlotOutcome.SKIPPED, None, reason)
    choice = chooser.choose(channel, now, pinned=pinned)
    if choice is None:
        slog.info("dry_run_nothing_to_post")
        return SlotResult(name, slot_at, SlotOutcome.EMPTY, None, "no eligible item")
    if choice.candidate is None:  # a recycle or a reminder: the item is made at the slot
        slog.info("dry_run_would_make", item_id=choice.item_id, reason=choice.reason)
        return SlotResult(name, slot_at, SlotOutcome.PUBLISHED, choice.item_id, "dry run")
    item = queue.get(choice.candidate.item_id)
    delivery = item.delivery(name)
    assert delivery is not None
    try:
        post = make_post(channel, adapter, delivery, item)
    except ValueError as exc:
        slog.warning("dry_run_would_reject", item_id=item.id, reason=str(exc))
        return SlotResult(name, slot_at, SlotOutcome.FAILED, item.id, str(exc))
    slog.info(
        "dry_run_would_post", item_id=item.id, text=post.text, url=post.url, reason=choice.reason
    )
    replies = queue.item_thread(item.id).replies  # a thread: each reply as it would be sent
    link = item.url if item.link_in_reply else ""
    for n, reply in enumerate(make_replies(channel, delivery, replies, link=link), 1):
        slog.info("dry_run_would_reply", item_id=item.id, part=n, text=reply.text, url=reply.url)
    return SlotResult(name, slot_at, SlotOutcome.PUBLISHED, item.id, "dry run")
