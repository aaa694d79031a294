"""Shared set-up for the coverage tests: a CLI configuration with `[report]` keywords, and feeds
served over real HTTP by a local `FakeServer` (with ETags and 304s, as in tests/network/intake)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer
from tests.network.adapters.conftest import server  # noqa: F401 - the fake network servers' fixture
from tests.storage.intake.test_feeds_ingest import FeedSite

__all__ = ["DATA", "REPORT", "news_search"]

DATA = Path(__file__).parent / "data"

REPORT = """
[report]
[report.competitors]
xen = ["Xen", "XenServer", "Xen Project"]
kvm = ["KVM"]
docker = ["Docker"]
[report.themes]
cloud = ["cloud"]
mobile = ["mobile", "automotive", "embedded"]
"""


def news_search() -> bytes:
    return (DATA / "news-search.xml").read_bytes()


@pytest.fixture
def make_cli(tmp_path: Path, clock: FakeClock) -> Callable[[str], CliHarness]:
    """A CLI harness whose configuration has the `[report]` keywords and `extra` TOML (say
    `[[coverage_feeds]]` tables), its database migrated."""

    def make(extra: str = "") -> CliHarness:
        config = write_config(tmp_path, text=CONFIG + REPORT + extra)
        harness = CliHarness(config, tmp_path / "data" / "queue.db", clock)
        harness.ok("db", "upgrade")
        return harness

    return make


@pytest.fixture
def cov(make_cli: Callable[[str], CliHarness]) -> CliHarness:
    return make_cli("")


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with FakeServer() as fake:
        yield FeedSite(fake)
