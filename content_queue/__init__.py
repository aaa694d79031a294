"""content_queue: the content queue of xensocial, as a library.

It stores items (a URL and its words), their deliveries to named channels, the slot ledger and
channel pauses, and chooses what a channel posts next. It knows nothing of networks, HTTP or
scheduling: channels are plain names, and the caller passes the time.
"""

from .db import make_engine, make_sessionmaker
from .errors import (
    DuplicateItem,
    ImportFailed,
    InvalidItem,
    InvalidTransition,
    ItemNotFound,
    QueueError,
    RowError,
)
from .ledger import ChannelStatus, InFlight, Ledger, SlotRecord
from .queue import EDITABLE_FIELDS, ContentQueue, ImportResult
from .schema import Base, DeliveryState, ItemSource, ItemState, SlotOutcome
from .selection import Candidate
from .timeutil import Clock, as_utc, system_clock
from .urls import canonical_url
from .views import DeliveryView, ItemView, NewItem

__all__ = [
    "EDITABLE_FIELDS",
    "Base",
    "Candidate",
    "ChannelStatus",
    "Clock",
    "ContentQueue",
    "DeliveryState",
    "DeliveryView",
    "DuplicateItem",
    "ImportFailed",
    "ImportResult",
    "InFlight",
    "InvalidItem",
    "InvalidTransition",
    "ItemNotFound",
    "ItemSource",
    "ItemState",
    "ItemView",
    "Ledger",
    "NewItem",
    "QueueError",
    "RowError",
    "SlotOutcome",
    "SlotRecord",
    "as_utc",
    "canonical_url",
    "make_engine",
    "make_sessionmaker",
    "system_clock",
]
