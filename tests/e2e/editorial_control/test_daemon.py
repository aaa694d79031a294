"""The stop button and blackouts in the real daemon: `python -m xensocial run` as a subprocess,
posting every second to an outbox, posts nothing while every channel is paused or a blackout
covers it, says why in its log, records each skipped slot, and posts again afterwards."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from content_queue import Ledger, make_engine
from tests.e2e.conftest import Site

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = Site(tmp_path, "0s")
    yield made
    made.stop_all()


def _skipped(site: Site, prefix: str) -> int:
    rows = site.query(
        f"SELECT count(*) FROM slot_claims WHERE outcome = 'skipped' AND detail LIKE '{prefix}%'"
    )
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def _events(site: Site, name: str) -> list[dict[str, object]]:
    out = []
    for line in site.logs().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == name:
            out.append(record)
    return out


def _stop(site: Site, proc: object) -> None:
    proc.send_signal(signal.SIGTERM)  # type: ignore[attr-defined]
    assert proc.wait(10) == 0, site.logs()[-3000:]  # type: ignore[attr-defined]


def test_pause_all_stops_every_post_and_resume_starts_again(site: Site) -> None:
    items = site.add_items(2)
    ledger = Ledger(make_engine(f"sqlite:///{site.db}"))
    ledger.pause("demo", "crisis: hold everything", by="comms")
    proc = site.start()
    assert site.wait_for(lambda: _skipped(site, "paused: crisis") >= 3, timeout=20), site.logs()
    assert not site.outbox.exists() and site.delivery_states() == {"pending": 2}
    [warning] = _events(site, "channel_not_posting")
    assert warning["reason"] == "paused: crisis: hold everything"
    assert any(
        e["reason"] == "paused: crisis: hold everything" for e in _events(site, "slot_skipped")
    )
    ledger.resume("demo", by="comms")
    assert site.wait_for(lambda: site.delivery_states() == {"published": 2}, timeout=20)
    _stop(site, proc)
    posted = [json.loads(line)["item_id"] for line in site.outbox.read_text().splitlines()]
    assert sorted(posted) == items


def test_a_configured_blackout_posts_nothing_and_says_why(site: Site) -> None:
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(days=1)).isoformat()
    with site.config.open("a", encoding="utf-8") as f:
        f.write(f'\n[[blackouts]]\nfrom = "{start}"\nto = "{end}"\nreason = "board meeting"\n')
    site.add_items(1)
    proc = site.start()
    assert site.wait_for(lambda: _skipped(site, "blackout: board meeting") >= 3, timeout=20), (
        site.logs()
    )
    _stop(site, proc)
    assert not site.outbox.exists() and site.delivery_states() == {"pending": 1}
    assert _events(site, "channel_not_posting")[0]["reason"] == "blackout: board meeting"


def test_a_blackout_added_while_running_takes_effect_and_is_not_caught_up(site: Site) -> None:
    site.add_items(0)  # the schema only
    proc = site.start()
    assert site.wait_for(lambda: bool(_events(site, "scheduling")), timeout=20), site.logs()
    ledger = Ledger(make_engine(f"sqlite:///{site.db}"))
    now = datetime.now(UTC)
    ledger.add_blackout(now, now + timedelta(seconds=3), reason="short", by="comms")
    # Once a slot has seen the blackout, every later slot does: then queue the item.
    assert site.wait_for(lambda: _skipped(site, "blackout: short") >= 1, timeout=10), site.logs()
    site.add_items(1)
    assert site.wait_for(lambda: site.delivery_states() == {"published": 1}, timeout=20)
    _stop(site, proc)
    # The slots inside stay skipped: the item went out once, at a slot after the blackout.
    [(slot,)] = site.query("SELECT slot_at FROM slot_claims WHERE outcome = 'published'")
    assert datetime.fromisoformat(str(slot)).replace(tzinfo=UTC) >= now + timedelta(seconds=3)
    assert len(site.outbox.read_text().splitlines()) == 1
