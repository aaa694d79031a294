"""Each channel's state (`xensocial.channel_status`), on SQLite and PostgreSQL: a channel paused
by a person and one paused by the daemon on its network's answer, last post, next slot and the
items waiting; a LinkedIn token near its end; a feed whose polls fail."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import Ledger
from content_queue.sources import FeedSpec, FeedStore
from tests.conftest import FakeClock
from tests.daemon.conftest import make_channel, make_settings
from tests.storage.editorial.rig import EditorialRig
from xensocial.channel_status import channel_overviews, feed_status
from xensocial.errors import UsageError

from .conftest import at


def test_paused_by_a_person_or_by_the_network(week: EditorialRig) -> None:
    week.ledger.pause("a", "waiting for the press release", by="alice")
    ledger = Ledger(week.engine, week.clock)
    a, b = channel_overviews(week.settings, ledger, week.clock, warnings=False)
    assert (a.channel.name, b.channel.name) == ("a", "b")

    assert (a.paused, a.pause_reason, a.paused_by) == (
        True,
        "waiting for the press release",
        "alice",
    )
    assert not a.paused_by_daemon
    assert a.paused_at == week.clock()
    assert a.state == "paused (waiting for the press release)"
    assert a.last_post == at(1, 15)
    assert a.next_slot == at(3, 15)
    assert a.pending == 4  # six queued, two out (the failed try waits for another slot)

    assert b.paused and b.paused_by_daemon and b.paused_by == "daemon@a"
    assert "token revoked" in (b.pause_reason or "")
    assert b.last_post == at(0, 10)
    assert b.next_slot == at(4, 10)  # Thursday 12:00 is noon itself: the next is Friday
    assert b.pending == 4
    assert b.warnings == () and a.warnings == ()

    week.ledger.resume("a", by="alice")
    [a] = channel_overviews(week.settings, ledger, week.clock, channels=["a"], warnings=False)
    assert (a.paused, a.pause_reason, a.paused_by, a.state) == (False, None, None, "active")
    with pytest.raises(UsageError, match="no channel named 'c'"):
        channel_overviews(week.settings, ledger, week.clock, channels=["c"])


def test_a_disabled_channel_has_no_next_slot(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    off = make_channel("off", enabled=False)
    settings = make_settings(tmp_path, [off])
    [row] = channel_overviews(settings, Ledger(engine, clock), clock)
    assert (row.state, row.next_slot, row.last_post, row.pending, row.warnings) == (
        "disabled",
        None,
        None,
        0,
        (),
    )


def test_a_token_near_its_end_is_a_warning(
    engine: Engine, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XS_TEST_LI_TOKEN", "a-token-that-is-not-shown")
    ends = clock() + timedelta(days=3)
    linkedin = make_channel(
        "li",
        network="linkedin",
        options={
            "organization_id": "2414183",
            "token_expires_at": ends.isoformat(),
            "api_base_url": "http://127.0.0.1:9",
        },
        secrets={"access_token": "env:XS_TEST_LI_TOKEN"},
    )
    later = replace(
        linkedin,
        name="li-later",
        options={
            **linkedin.options,
            "token_expires_at": (clock() + timedelta(days=60)).isoformat(),
        },
    )
    settings = make_settings(tmp_path, [linkedin, later])
    soon, fine = channel_overviews(settings, Ledger(engine, clock), clock)
    [warning] = soon.warnings
    assert "'li'" in warning and "access_token" in warning and "in 3 days" in warning
    assert "a-token-that-is-not-shown" not in warning
    assert fine.warnings == ()


def test_a_failing_feed(engine: Engine, clock: FakeClock) -> None:
    store = FeedStore(engine, clock)
    spec = FeedSpec(name="press", url="https://example.org/feed.xml", category="news")
    feed = store.add(spec)
    quiet = store.add(replace(spec, name="quiet", url="https://example.org/quiet.xml"))
    assert feed_status(store.get("press")).failing is False
    for n in (1, 2):
        clock.advance(minutes=30)
        store.record_failure(
            feed.id, f"HTTP 503 (try {n})", next_poll_at=clock() + timedelta(hours=1)
        )
    press = feed_status(store.get("press"))
    assert (press.state, press.failing) == ("error x2", True)
    assert press.feed.last_error == "HTTP 503 (try 2)"
    store.record_failure(quiet.id, "HTTP 410 Gone", next_poll_at=None, gone=True)
    gone = feed_status(store.get("quiet"))
    assert (gone.state, gone.failing) == ("disabled (HTTP 410 Gone)", True)
