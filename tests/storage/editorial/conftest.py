"""Shared set-up of the editorial tests (content mix, evergreen recycling, announcements, pinned
times, events): candidates for the pure policy, and the queue suite's fixtures on each backend."""

from __future__ import annotations

from typing import Any

from content_queue.selection import Candidate
from tests.storage.queue.conftest import ledger, queue  # noqa: F401 - the queue suite's fixtures
from tests.storage.queue.test_selection import NOW
from tests.storage.queue.test_selection import cand as plain_cand

__all__ = ["NOW", "cand"]


def cand(item_id: int, category: str = "news", **fields: Any) -> Candidate:
    """The selection tests' candidate (pending, approved, a day old, channel `c`), with a
    category, a title and a URL."""
    words = {"title": f"item {item_id}", "url": f"https://example.org/{item_id}"}
    return plain_cand(item_id, category=category, **(words | fields))
