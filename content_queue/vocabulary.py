"""The queue's words: the states an item and a delivery can be in, where an item came from, and
what became of a slot. Stored as these strings, in both databases, by both storage paths.

Why a module of its own, without SQLAlchemy: the ORM path (`schema`, `queue`, `ledger`) and the
plain DB-API path behind the fast CLI commands (`fastread`, `fastwrite`, `newitems`), and the
pure modules (`selection`, `views`) all need the same words, and the plain path must not pay
~300 ms for SQLAlchemy to learn them. Each word is written here once and imported everywhere,
instead of copies kept equal by tests. tests/storage/queue/test_vocabulary.py checks, in a fresh
interpreter, that importing this module (and `limits`, its half for sizes) loads no SQLAlchemy.

The sizes an item's fields may have are in `limits`.
"""

from __future__ import annotations

import enum

__all__ = [
    "DELIVERY_STATES",
    "ITEM_STATES",
    "OUT_STATES",
    "SOURCES",
    "DeliveryState",
    "ItemSource",
    "ItemState",
    "SlotOutcome",
    "state_problem",
]


class ItemState(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    CANCELLED = "cancelled"


class ItemSource(enum.StrEnum):
    MANUAL = "manual"
    CSV = "csv"
    FEED = "feed"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for a slot
    PUBLISHING = "publishing"  # committed before the network call: a crash leaves this behind
    PUBLISHED = "published"
    FAILED = "failed"  # the network refused it for good; the reason is in last_error
    UNKNOWN = "unknown"  # may or may not be out; the adapter cannot tell, a person must


class SlotOutcome(enum.StrEnum):
    CLAIMED = "claimed"  # taken, the publish is under way (or the process died during it)
    PUBLISHED = "published"
    EMPTY = "empty"  # nothing eligible to post
    SKIPPED = "skipped"  # a rule said no (paused, daily cap, minimum gap); detail says which
    FAILED = "failed"  # every attempt failed; detail says why


ITEM_STATES = frozenset(s.value for s in ItemState)
DELIVERY_STATES = frozenset(s.value for s in DeliveryState)
SOURCES = tuple(s.value for s in ItemSource)
"""Where an item may come from, in declaration order (the order an error lists them in)."""

OUT_STATES = frozenset(
    {DeliveryState.PUBLISHING.value, DeliveryState.PUBLISHED.value, DeliveryState.UNKNOWN.value}
)
"""Delivery states in which the post is out, or may be (going out now, or a crash left it
unclear): what went out there can no longer change, so edits leave such deliveries alone."""


def state_problem(state: str) -> str | None:
    """Why `state` cannot filter a listing of items (it is neither an item's state nor a
    delivery's), or None. Both listings, the ORM's and the fast reader's, refuse with it, so
    `queue list --state` says the same whichever path serves it."""
    known = ITEM_STATES | DELIVERY_STATES
    return None if state in known else f"{state!r} is not one of {', '.join(sorted(known))}"
