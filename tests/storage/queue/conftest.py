"""The queue API and the ledger over the shared `engine` (both backends) and `clock` fixtures."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem
from tests.conftest import FakeClock

__all__ = ["CHANNELS", "new_item"]

CHANNELS = ("mastodon", "bluesky")


def new_item(url: str, channels: tuple[str, ...] = CHANNELS, **fields: Any) -> NewItem:
    return NewItem(url=url, channels=channels, **fields)


@pytest.fixture
def queue(engine: Engine, clock: FakeClock) -> ContentQueue:
    return ContentQueue(engine, clock=clock)


@pytest.fixture
def ledger(engine: Engine, clock: FakeClock) -> Ledger:
    return Ledger(engine, clock=clock)
