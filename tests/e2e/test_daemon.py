"""The daemon end to end: `python -m xensocial run` as a subprocess, killed and restarted.

The crash test is the point of the whole design: SIGKILL lands while posts are in flight (some
kills are timed to the moment a delivery is `publishing`, the rest at random), the daemon is
restarted each time, and at the end every item is in the outbox exactly once and every delivery
is `published`.
"""

from __future__ import annotations

import json
import random
import signal
import socket
import time
from collections import Counter

import pytest

pytestmark = pytest.mark.e2e

ITEMS = 25


def outbox_lines(site) -> list[dict[str, object]]:
    if not site.outbox.exists():
        return []
    out = []
    for raw in site.outbox.read_text().splitlines():
        try:
            out.append(json.loads(raw))
        except ValueError:
            continue  # a line torn by SIGKILL mid-write is not a post
    return out


def test_sigkill_mid_post_never_posts_twice_nor_loses_an_item(site_factory):
    site = site_factory("300ms")
    items = site.add_items(ITEMS)
    rng = random.Random()
    in_flight_kills = 0
    for round_ in range(5):
        proc = site.start()
        if round_ % 2 == 0:
            # Wait for a delivery to be `publishing` (committed before the network call), then
            # kill: the process dies in the middle of a post.
            caught = site.wait_for(
                lambda: bool(site.query("SELECT 1 FROM deliveries WHERE state='publishing'")),
                timeout=10,
                poll=0.01,
            )
            in_flight_kills += caught
        else:
            time.sleep(rng.uniform(0.8, 3.0))
        assert proc.poll() is None, site.logs()
        proc.kill()
        proc.wait(10)
    assert in_flight_kills >= 2, "the kills should have landed mid-post"

    proc = site.start()
    done = site.wait_for(
        lambda: site.delivery_states() == {"published": ITEMS}, timeout=45, poll=0.2
    )
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert done, (site.delivery_states(), site.logs()[-3000:])

    lines = outbox_lines(site)
    counts = Counter(line["item_id"] for line in lines)
    assert counts == Counter({i: 1 for i in items}), counts
    keys = dict(site.query("SELECT item_id, idempotency_key FROM deliveries"))
    assert {line["item_id"]: line["key"] for line in lines} == keys
    # At least one restart found a delivery left `publishing` and settled it.
    assert '"event": "reconciled"' in site.logs()


def test_sigterm_finishes_the_post_in_flight_and_exits_0(site_factory):
    site = site_factory("2s")
    [item] = site.add_items(1)
    proc = site.start()
    assert site.wait_for(
        lambda: bool(site.query("SELECT 1 FROM deliveries WHERE state='publishing'")), timeout=10
    ), site.logs()
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0, site.logs()
    assert time.monotonic() - sent < 10
    # The post in flight was finished and committed, not abandoned.
    assert site.query("SELECT item_id, state FROM deliveries") == [(item, "published")]
    assert [line["item_id"] for line in outbox_lines(site)] == [item]
    assert '"event": "stop_requested"' in site.logs()


def test_sigint_while_idle_exits_0_quickly_and_talks_to_systemd(site_factory, tmp_path):
    site = site_factory("0s")
    site.add_items(0)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(10)
    with notify:
        proc = site.start(
            extra_env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "400000"}
        )
        messages = [notify.recv(100)]
        while messages.count(b"WATCHDOG=1") < 2:  # every 0.2 s
            messages.append(notify.recv(100))
        assert messages[0] == b"READY=1", messages
        assert (site.root / "heartbeat").exists()
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0, site.logs()
        assert time.monotonic() - sent < 3
        while messages[-1] != b"STOPPING=1":
            messages.append(notify.recv(100))


def test_dry_run_posts_nothing_and_writes_nothing(site_factory):
    site = site_factory("0s")
    items = site.add_items(2)
    proc = site.start("--dry-run")
    assert site.wait_for(lambda: "dry_run_would_post" in site.logs(), timeout=10), site.logs()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0, site.logs()
    assert not site.outbox.exists()
    assert site.query("SELECT count(*) FROM slot_claims") == [(0,)]
    assert site.query("SELECT item_id, state FROM deliveries ORDER BY item_id") == [
        (i, "pending") for i in items
    ]


def test_a_bad_channel_option_exits_2_before_writing_anything(site_factory):
    site = site_factory("0s")
    site.config.write_text(site.config.read_text() + 'colour = "red"\n')
    proc = site.start()
    assert proc.wait(20) == 2
    assert "channels[0].options" in site.logs() and "colour" in site.logs()
    assert "Traceback" not in site.logs()
    assert not site.db.exists()


def test_a_dry_run_without_a_database_exits_1_and_creates_none(site_factory):
    site = site_factory("0s")
    proc = site.start("--dry-run")
    assert proc.wait(20) == 1
    assert "xensocial db upgrade" in site.logs()
    assert not site.db.exists()
