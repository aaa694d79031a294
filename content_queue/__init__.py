"""content_queue: the content queue of xensocial, as a library.

It stores items (a URL and its words), their deliveries to named channels, the slot ledger and
channel pauses, and chooses what a channel posts next. It knows nothing of networks, HTTP or
scheduling: channels are plain names, and the caller passes the time.

The names below are loaded on first use (PEP 562), not when the package is imported: most of
them pull in SQLAlchemy's ORM (~300 ms), which light users of the package (the clock, the
views, the plain-driver paths `fastread` and `fastwrite` behind `xensocial queue list` and
`queue add`) must not pay for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .db import make_engine, make_sessionmaker
    from .errors import (
        AccountExists,
        AccountNotFound,
        AlreadyOut,
        BlackoutNotFound,
        DuplicateActivity,
        DuplicateClip,
        DuplicateItem,
        EvergreensNeeded,
        FeedExists,
        FeedNotFound,
        FileRefused,
        ImportFailed,
        InvalidBlackout,
        InvalidItem,
        InvalidTransition,
        ItemNotFound,
        QueueError,
        RowError,
    )
    from .interfaces import QueueReader, QueueWriter
    from .ledger import ChannelStatus, InFlight, Ledger
    from .queue import EDITABLE_FIELDS, ContentQueue, ImportResult
    from .schema import Base
    from .selection import Candidate
    from .sources import FeedSpec, FeedStore, FeedView
    from .timeutil import Clock, as_utc, system_clock
    from .urls import canonical_url
    from .views import DeliveryView, ItemView, NewItem
    from .vocabulary import DeliveryState, ItemSource, ItemState, SlotOutcome

# Each public name -> the submodule that defines it.
_WHERE = {
    "make_engine": "db",
    "make_sessionmaker": "db",
    "AccountExists": "errors",
    "AccountNotFound": "errors",
    "AlreadyOut": "errors",
    "BlackoutNotFound": "errors",
    "DuplicateActivity": "errors",
    "DuplicateClip": "errors",
    "DuplicateItem": "errors",
    "EvergreensNeeded": "errors",
    "FeedExists": "errors",
    "FeedNotFound": "errors",
    "FileRefused": "errors",
    "ImportFailed": "errors",
    "InvalidBlackout": "errors",
    "InvalidItem": "errors",
    "InvalidTransition": "errors",
    "ItemNotFound": "errors",
    "QueueError": "errors",
    "RowError": "errors",
    "QueueReader": "interfaces",
    "QueueWriter": "interfaces",
    "ChannelStatus": "ledger",
    "InFlight": "ledger",
    "Ledger": "ledger",
    "EDITABLE_FIELDS": "queue",
    "ContentQueue": "queue",
    "ImportResult": "queue",
    "Base": "schema",
    "Candidate": "selection",
    "FeedSpec": "sources",
    "FeedStore": "sources",
    "FeedView": "sources",
    "Clock": "timeutil",
    "as_utc": "timeutil",
    "system_clock": "timeutil",
    "canonical_url": "urls",
    "DeliveryView": "views",
    "ItemView": "views",
    "NewItem": "views",
    "DeliveryState": "vocabulary",
    "ItemSource": "vocabulary",
    "ItemState": "vocabulary",
    "SlotOutcome": "vocabulary",
}

__all__ = [
    "AccountExists",
    "AccountNotFound",
    "EDITABLE_FIELDS",
    "AlreadyOut",
    "Base",
    "BlackoutNotFound",
    "Candidate",
    "ChannelStatus",
    "Clock",
    "ContentQueue",
    "DeliveryState",
    "DeliveryView",
    "DuplicateActivity",
    "DuplicateClip",
    "DuplicateItem",
    "EvergreensNeeded",
    "FeedExists",
    "FeedNotFound",
    "FeedSpec",
    "FeedStore",
    "FeedView",
    "FileRefused",
    "ImportFailed",
    "ImportResult",
    "InFlight",
    "InvalidBlackout",
    "InvalidItem",
    "InvalidTransition",
    "ItemNotFound",
    "ItemSource",
    "ItemState",
    "ItemView",
    "Ledger",
    "NewItem",
    "QueueError",
    "QueueReader",
    "QueueWriter",
    "RowError",
    "SlotOutcome",
    "as_utc",
    "canonical_url",
    "make_engine",
    "make_sessionmaker",
    "system_clock",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # found once; later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
