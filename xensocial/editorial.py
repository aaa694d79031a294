"""A slot's editorial choice, for the publisher: what to post and why, claimed for this process.

`content_queue.selection.pick` decides (pinned, announcement, reminder, the mix, evergreen fill;
see docs/editorial.md); this module turns its answer into a delivery the publisher holds:

- a pending item chosen is claimed as `Ledger.claim_next` claims (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL, conditional on it still being pending), narrowed to that one delivery;
- an evergreen item to post again, or a reminder due, is first made (a new item, see
  `content_queue.editorial_store`), then claimed the same way. The slot itself was claimed in
  the ledger before this runs, so no other process works on it; the new item's delivery key is
  derived from what it is, so even two slots racing (a catch-up and a replica) make it once.

When the claim fails (another process took the item, or made the recycle first) the choice is
made again, with what is left, a few times at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from content_queue import Ledger
from content_queue.editorial_store import EditorialStore
from content_queue.schema import Delivery
from content_queue.selection import Choice, Rules
from content_queue.views import DeliveryView, ItemView

from .config.editorial import rules_for
from .rendering import reminder_text

if TYPE_CHECKING:
    from .config import ChannelConfig, Settings

__all__ = ["Claimed", "SlotChooser"]

_TRIES = 3  # choices made again when the one made is taken by another process first


@dataclass(frozen=True)
class Claimed:
    """The delivery a slot holds (`publishing`, ours), its item, and why it was chosen."""

    delivery: DeliveryView
    item: ItemView
    reason: str


class SlotChooser:
    """Chooses and claims what one slot of a channel posts."""

    def __init__(self, ledger: Ledger, settings: Settings, identity: str) -> None:
        self.ledger = ledger
        self.settings = settings
        self.identity = identity
        self.store = EditorialStore.of(ledger)

    def rules(self, channel: ChannelConfig) -> Rules:
        return rules_for(self.settings.editorial, channel.mix)

    def choose(
        self, channel: ChannelConfig, now: datetime, *, pinned: bool = False
    ) -> Choice | None:
        """What a slot of `channel` at `now` would take, and why (nothing is written). A
        pinned post's own run (`pinned`) takes only a pinned item whose time has come."""
        if not pinned:
            return self.store.choose(channel.name, now, self.rules(channel))
        with self.store.supply(channel.name, now) as supply:
            found = supply.pinned()
        return Choice("pinned", candidate=found) if found is not None else None

    def claim(
        self, channel: ChannelConfig, now: datetime, lease_until: datetime, *, pinned: bool = False
    ) -> Claimed | None:
        """The choice at `now`, made (for a recycle or a reminder) and claimed as `publishing`
        for this process until `lease_until`; None when there is nothing to post."""
        for _ in range(_TRIES):
            choice = self.choose(channel, now, pinned=pinned)
            if choice is None:
                return None
            delivery_id = self._delivery_for(channel, choice)
            if delivery_id is None:
                continue  # another process made this recycle or reminder: choose again
            began = self.ledger.claim_next(
                channel.name, self.identity, now, lease_until, where=[Delivery.id == delivery_id]
            )
            if began is not None:
                return Claimed(began[0], began[1], choice.reason)
        return None

    def _delivery_for(self, channel: ChannelConfig, choice: Choice) -> int | None:
        """The delivery that posts `choice`: the chosen one, or that of the item made for it."""
        if choice.candidate is not None:
            return choice.candidate.delivery_id
        by = self.identity
        if choice.recycle is not None:
            return self.store.make_recycle(choice.recycle, by=by)
        assert choice.reminder is not None
        event = choice.reminder.event
        words = reminder_text(
            self.settings.editorial.reminder_text,
            event.title or event.url,
            event.event_at,
            self.settings.timezone,
        )
        return self.store.make_reminder(choice.reminder, words, by=by)
