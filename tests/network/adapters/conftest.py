"""Fixtures and helpers shared by the adapter tests.

Every adapter is tested against a `FakeServer` playing its network, and every adapter has a
test that runs a whole slot through the `Publisher` to show that a lost answer never posts
twice. The setup for both is the same whatever the network, so it lives here once; only the
channel name and network differ, and they are parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps, add_items, make_channel, make_settings
from tests.fakes.server import FakeServer
from xensocial.adapters.base import Adapter
from xensocial.config import ChannelConfig
from xensocial.publishing import Publisher

TIMEOUT = 0.5  # seconds: faults hang for longer, so a read timeout is quick and certain
HANG = 3.0


def closed_url() -> str:
    """The URL of a server that has just shut down: a connection to it is refused at once.

    Tests of "cannot connect" need an address where nothing listens; a port the OS just freed
    is that, without guessing a port number that may be in use."""
    with FakeServer() as gone:
        return gone.url


@pytest.fixture(autouse=True, scope="session")
def client_libraries_loaded() -> None:
    """Import the network client libraries once, up front.

    The adapters import theirs at their first call (`xensocial.adapters._lazy`); several tests
    time a call to show the adapter never sleeps, and must not time a one-off import instead."""
    import atproto_client  # noqa: F401
    import facebook  # noqa: F401
    import httpx  # noqa: F401
    import mastodon  # noqa: F401
    import tweepy  # noqa: F401


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A fresh fake network per test, shut down afterwards so no port or thread leaks."""
    with FakeServer() as s:
        yield s


def slot_publisher(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: Adapter,
    channel: str,
    network: str,
) -> tuple[ContentQueue, int, ChannelConfig, Publisher]:
    """A queue holding one approved item for `channel`, and a publisher that posts it there.

    Returns what the slot tests look at afterwards: the queue (for the item's delivery), the
    item's id, the channel to run a slot on, and the publisher. `adapter` is the only adapter
    the publisher knows, so a slot on `channel` can only reach the fake behind it."""
    queue = ContentQueue(engine, clock)
    [item] = add_items(queue, 1, channels=(channel,))
    config = make_channel(channel, network=network)
    pub = Publisher(
        Ledger(engine, clock),
        {channel: adapter},
        make_settings(tmp_path, [config]),
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
    )
    return queue, item, config, pub
