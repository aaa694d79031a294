"""The notification receivers the daemon's alert tests listen with (`tests/fakes/notify.py`),
on one real HTTP server on 127.0.0.1 for the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.notify import receivers
from tests.fakes.server import FakeServer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        receivers(fake)
        yield fake
