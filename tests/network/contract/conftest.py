"""The `contract` fixture: one harness per adapter (see `harness.py`), fresh for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock

from .harness import Harness, HarnessContext, harnesses

_FACTORIES = harnesses()


@pytest.fixture(params=sorted(_FACTORIES))
def contract(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Harness]:
    with _FACTORIES[request.param](HarnessContext(tmp_path, clock)) as h:
        yield h
