"""Which item a channel posts next: the whole policy, as pure functions.

The database narrows the field with indexes (see `eligible.candidates_query` and
`editorial_store`); the rules themselves live only here and in the modules named below, so they
can be read in one place and tested without a database:

1. eligible: the item is approved, its `not_before` has passed, it has not expired, it is not
   pinned to a later time (`publish_at`), and its delivery on this channel is still pending
   (not yet published, failed or under way);
2. among the eligible, the highest priority first, then the oldest, then the lowest id (so the
   choice is total and repeatable): `rank_key`.

Editorial control (`pick`, docs/editorial.md) decides *which* eligible items a slot looks at,
in this order, and says why it took what it took:

1. `pinned`: an item pinned to a time that has come (the daemon posts it at that very time;
   a regular slot takes one whose time passed without it going out, say during downtime);
2. `announcement`: the category `announcement`, ahead of everything else;
3. `reminder`: a reminder of an event (see `events`): one already made and waiting, or one due
   now, which the slot makes;
4. the mix (see `mix`), when the channel has one: the categories in the order the mix asks for
   them (`category due (news 20% of 40%)`); a category with nothing fresh is filled by one of
   its evergreen items due again (see `recycling`; `evergreen: category due (...)`), else the
   slot asks for the next category; then, only when none of the mix's categories has anything,
   the best item of a category the mix does not name (`priority (not in the mix)`). Without a
   mix, the best item of any category (`priority`);
5. `evergreen fill`: nothing fresh at all, so an evergreen item due again fills the slot
   instead of silence.

Evergreen recycling (steps 4 and 5) happens only with `[editorial] fill_with_evergreen = true`
(`Rules.recycle` is None otherwise).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from .events import ReminderDue, describe_offset
from .mix import Mix, due_order
from .recycling import Evergreen, RecycleRules
from .vocabulary import DeliveryState, ItemState

__all__ = [
    "ANNOUNCEMENT",
    "Candidate",
    "Choice",
    "Rules",
    "Supply",
    "blocking_rule",
    "is_eligible",
    "pick",
    "rank_key",
]

ANNOUNCEMENT = "announcement"
"""The category that goes ahead of the mix at every target channel's next slot."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """What selection needs to know of one item's delivery on one channel. With `__slots__`:
    a calendar of fifty channels makes some 7,000 of them per page, a third faster so."""

    delivery_id: int
    item_id: int
    channel: str
    priority: int
    created_at: datetime
    item_state: str
    delivery_state: str
    not_before: datetime | None = None
    expires_at: datetime | None = None
    title: str = ""
    url: str = ""
    category: str = ""
    publish_at: datetime | None = None  # pinned: not taken before this time
    reminder_of: int | None = None  # a reminder: the event's item


def blocking_rule(c: Candidate, now: datetime) -> str | None:
    """Which rule keeps `c` from being posted at `now` (the name of its field), or None. The
    rule itself, without the message: the forecast asks it some hundred thousand times a
    page, and most of the answers are "not yet" (an embargo, a pinned time). The SQL of
    `eligible.py` is the same rule for many candidates at once."""
    if c.item_state != ItemState.APPROVED:
        return "item_state"
    if c.delivery_state != DeliveryState.PENDING:
        return "delivery_state"
    if c.not_before is not None and c.not_before > now:
        return "not_before"
    if c.expires_at is not None and c.expires_at <= now:
        return "expires_at"
    if c.publish_at is not None and c.publish_at > now:
        return "publish_at"
    return None


def is_eligible(c: Candidate, now: datetime) -> bool:
    return blocking_rule(c, now) is None


def rank_key(c: Candidate) -> tuple[int, datetime, int]:
    """Sort key: smaller goes first (highest priority, then oldest, then lowest id)."""
    return (-c.priority, c.created_at, c.item_id)


# -- editorial control ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A channel's editorial rules: its mix (None: none), whether evergreen items are posted
    again and how (None: never), and the reminder offsets before events."""

    mix: Mix | None = None
    recycle: RecycleRules | None = None
    reminders: tuple[timedelta, ...] = ()


class Supply(Protocol):
    """What one channel has to offer a slot at one time. `pick` asks in order and stops at the
    first answer, so an implementation may query lazily: the database one (`editorial_store`)
    runs one small indexed query per question; the forecast's (`forecast`) answers from
    memory. Each `Candidate` returned is eligible at that time."""

    def pinned(self) -> Candidate | None:
        """The best pending item whose pinned time has come."""
        ...

    def best_in(self, category: str) -> Candidate | None:
        """The best eligible item of `category` (rank order, see `rank_key`)."""
        ...

    def best_outside(self, categories: Collection[str]) -> Candidate | None:
        """The best eligible item of any category but `categories`."""
        ...

    def reminder(self, offsets: Sequence[timedelta]) -> Candidate | ReminderDue | None:
        """A reminder made earlier and still eligible, else one due now (see `events`)."""
        ...

    def recyclable(self, rules: RecycleRules, category: str | None) -> Evergreen | None:
        """The evergreen item (of `category`, when given) to post again (see `recycling`)."""
        ...

    def published(self, since: datetime) -> Mapping[str, int]:
        """The channel's posts since `since`, counted by category."""
        ...


@dataclass(frozen=True)
class Choice:
    """What a slot takes, and why. Exactly one of `candidate` (a pending delivery), `recycle`
    (an evergreen original to post again: a new item) and `reminder` (an event to remind of: a
    new item) is set."""

    reason: str
    candidate: Candidate | None = None
    recycle: Evergreen | None = None
    reminder: ReminderDue | None = None

    @property
    def item_id(self) -> int:
        """The item posted, or, for a recycle or a reminder still to be made, its origin."""
        return self._origin[0]

    @property
    def title(self) -> str:
        return self._origin[1]

    @property
    def url(self) -> str:
        return self._origin[2]

    @property
    def priority(self) -> int:
        return self._origin[3]

    @property
    def _origin(self) -> tuple[int, str, str, int]:
        if self.candidate is not None:
            c = self.candidate
            return c.item_id, c.title, c.url, c.priority
        if self.recycle is not None:
            e = self.recycle
            return e.item_id, e.title, e.url, e.priority
        assert self.reminder is not None
        v = self.reminder.event
        return v.item_id, v.title, v.url, v.priority


def _reminder_reason(offset: timedelta) -> str:
    return f"reminder ({describe_offset(offset)} before the event)"


def pick(supply: Supply, rules: Rules, now: datetime) -> Choice | None:
    """What a slot of the channel `supply` stands for takes at `now`, and why; None when it has
    nothing to post (see the module docstring for the order)."""
    pinned = supply.pinned()
    if pinned is not None:
        return Choice("pinned", candidate=pinned)
    announcement = supply.best_in(ANNOUNCEMENT)
    if announcement is not None:
        return Choice("announcement", candidate=announcement)
    if rules.reminders:
        reminder = supply.reminder(rules.reminders)
        if isinstance(reminder, Candidate):
            return Choice("reminder", candidate=reminder)
        if reminder is not None:
            return Choice(_reminder_reason(reminder.offset), reminder=reminder)
    if rules.mix is None:
        fresh = supply.best_outside(())
        if fresh is not None:
            return Choice("priority", candidate=fresh)
    else:
        counts = supply.published(now - rules.mix.window)
        for due in due_order(rules.mix, counts):
            found = supply.best_in(due.category)
            if found is not None:
                return Choice(f"category due ({due.describe()})", candidate=found)
            if rules.recycle is not None:
                again = supply.recyclable(rules.recycle, due.category)
                if again is not None:
                    return Choice(f"evergreen: category due ({due.describe()})", recycle=again)
        other = supply.best_outside((*rules.mix.categories, ANNOUNCEMENT))
        if other is not None:
            return Choice("priority (not in the mix)", candidate=other)
    if rules.recycle is not None:
        again = supply.recyclable(rules.recycle, None)
        if again is not None:
            return Choice("evergreen fill", recycle=again)
    return None
