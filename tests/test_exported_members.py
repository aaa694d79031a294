"""The names each package exports, pinned (as httpx's tests/test_exported_members.py does).

A name added to or dropped from a package's `__all__` is a change of its public interface, so
it must be a change of this file too, made on purpose. Every exported name must also resolve:
`content_queue` loads its names on first use (PEP 562), and a name in `__all__` that its table
of modules does not know would only fail when someone imports it.
"""

from __future__ import annotations

import content_queue
import xensocial

CONTENT_QUEUE = [
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


def test_content_queue_exports_its_pinned_names() -> None:
    assert content_queue.__all__ == CONTENT_QUEUE
    for name in content_queue.__all__:
        assert getattr(content_queue, name) is not None, name
    assert set(CONTENT_QUEUE) <= set(dir(content_queue))


def test_content_queue_exports_every_error_of_its_tree() -> None:
    from content_queue import errors

    assert set(errors.__all__) <= set(CONTENT_QUEUE)


def test_xensocial_exports_its_pinned_names() -> None:
    assert xensocial.__all__ == ["ADAPTER_GROUP", "__version__"]
    for name in xensocial.__all__:
        assert getattr(xensocial, name) is not None, name
