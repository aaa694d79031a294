"""The daemon as a subprocess, alerting a Matrix room fake on 127.0.0.1: a pause the service
made is said once and its clearing once; a daemon killed with SIGKILL while a notification is
on its way sends it again after the restart, under the same transaction id, so the room holds
one message."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from content_queue import Ledger, make_engine
from tests.e2e.conftest import Site
from tests.fakes.notify import MATRIX_TOKEN, receivers
from tests.fakes.server import FakeServer, Fault

pytestmark = pytest.mark.e2e

IDENTITY = "e2e-host"  # the identity tests/e2e/conftest.py's configuration names


@pytest.fixture
def room() -> Iterator[tuple[FakeServer, list[dict[str, Any]]]]:
    with FakeServer() as server:
        yield server, receivers(server)


def alerting_site(site_factory: Callable[[str], Site], server: FakeServer) -> Site:
    site = site_factory("0s")
    site.add_items(0)  # migrates the database
    with site.config.open("a") as f:
        f.write(
            '\n[alerts]\ncheck_every = "1s"\n'
            f'\n[[notify]]\nname = "room"\nkind = "matrix"\nhomeserver = "{server.url}"\n'
            'room = "!room:example.org"\nevents = ["channel_paused"]\n'
            '[notify.secrets]\naccess_token = "env:XS_MATRIX_TOKEN"\n'
        )
    return site


@contextmanager
def ledger_of(site: Site) -> Iterator[Ledger]:
    """The site's ledger, as another process (a person's CLI, a replica) writes to it."""
    engine = make_engine(f"sqlite:///{site.db}")
    try:
        yield Ledger(engine)
    finally:
        engine.dispose()


def pause_as_the_service(site: Site) -> None:
    """What the publisher does when the network refuses the token: in a slot it claimed."""
    with ledger_of(site) as ledger:
        ledger.claim_slot("demo", datetime.now(UTC) - timedelta(minutes=5), IDENTITY)
        ledger.pause("demo", "auth failed: token revoked", by=IDENTITY)


ENV = {"XS_MATRIX_TOKEN": MATRIX_TOKEN}


def test_a_pause_is_said_once_and_its_clearing_once(
    site_factory: Callable[[str], Site], room: tuple[FakeServer, list[dict[str, Any]]]
) -> None:
    server, events = room
    site = alerting_site(site_factory, server)
    pause_as_the_service(site)
    daemon = site.start(extra_env=ENV)
    assert site.wait_for(lambda: len(events) == 1, 20), site.logs()
    assert events[0]["body"].startswith("[xensocial] critical: channel demo is paused")
    assert not site.wait_for(lambda: len(events) > 1, 3)  # checked every second: said once
    with ledger_of(site) as ledger:
        assert ledger.resume("demo", by="alice")
    assert site.wait_for(lambda: len(events) == 2, 20), site.logs()
    assert "cleared: channel demo is paused" in events[1]["body"]
    assert not site.wait_for(lambda: len(events) > 2, 3)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(15) == 0


def test_sigkill_while_sending_then_restart_makes_one_message(
    site_factory: Callable[[str], Site], room: tuple[FakeServer, list[dict[str, Any]]]
) -> None:
    server, events = room
    site = alerting_site(site_factory, server)
    pause_as_the_service(site)
    # The homeserver takes the message, then the answer never comes: the daemon is killed
    # after the notice was recorded and claimed, before it could mark it sent.
    server.fault("PUT", "/_matrix/client/v3/rooms/:room/send/m.room.message/:txn",
                 Fault.accept_then_lose(seconds=60))  # fmt: skip
    first = site.start(extra_env=ENV)
    assert site.wait_for(lambda: len(server.requests("PUT")) == 1, 20), site.logs()
    pending = "SELECT state, claimed_by FROM notices"
    assert site.query(pending) == [("pending", IDENTITY)]
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    second = site.start(extra_env=ENV)  # the same identity: it takes its dead claim back
    assert site.wait_for(lambda: site.query("SELECT state FROM notices") == [("sent",)], 20), (
        site.logs()
    )
    puts = server.requests("PUT")
    assert len(puts) == 2 and puts[0].path == puts[1].path  # the same transaction id
    assert len(events) == 1  # one message in the room
    second.send_signal(signal.SIGTERM)
    assert second.wait(15) == 0
