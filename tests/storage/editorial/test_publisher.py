"""The publisher under editorial rules, on both backends with a test clock and fake networks:
pinned times (exact, once, held by a pause but not by the cap), evergreen recycling (made once
per slot whatever crashes or replicas do), reminders, and the reason logged with each post."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from structlog.testing import capture_logs

from content_queue import SlotOutcome
from tests.conftest import FakeClock
from tests.daemon.conftest import make_channel
from tests.stored_rows import recent_slots
from xensocial.config.editorial import EditorialConfig

from .rig import EditorialRig, days

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # demo's daily slot: 09:30 UTC
EDITORIAL = EditorialConfig(
    recycle_after=days(30), max_repeats=2, event_reminders=(days(7), days(1))
)


@pytest.fixture
def rig(engine: Engine, clock: FakeClock, tmp_path: Path) -> EditorialRig:
    channel = make_channel("demo", max_per_day=1, slots=(time(9, 30),))
    return EditorialRig(engine, clock, tmp_path, [channel], EDITORIAL)


# -- pinned times ------------------------------------------------------------------------------


def test_a_pinned_time_posts_its_item_exactly_then_and_once(rig: EditorialRig) -> None:
    pinned_at = SLOT + timedelta(hours=3, minutes=7, seconds=13)
    plain = rig.add("plain")
    pinned = rig.add("pinned", publish_at=pinned_at)
    assert rig.run("demo", SLOT).item_id == plain  # not the pinned one before its time
    # The daily cap (1) is reached, but a person chose this time: it goes out.
    result = rig.run("demo", pinned_at, pinned=True)
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, pinned)
    [post] = rig.posts()[1:]
    assert (post.item_id, post.at) == (pinned, pinned_at)
    assert rig.run("demo", pinned_at, pinned=True).outcome is None  # claimed: once
    assert recent_slots(rig.engine, "demo", limit=1)[0].slot_at == pinned_at


def test_a_pinned_run_posts_nothing_else_and_a_pause_holds_it(rig: EditorialRig) -> None:
    rig.add("plain")
    pinned_at = SLOT + timedelta(hours=2)
    rig.add("pinned", publish_at=pinned_at)
    assert rig.run("demo", SLOT - days(1), pinned=True).outcome is SlotOutcome.EMPTY
    rig.ledger.pause("demo", "crisis", by="comms")
    result = rig.run("demo", pinned_at, pinned=True)
    assert (result.outcome, result.detail) == (SlotOutcome.SKIPPED, "paused: crisis")
    rig.ledger.resume("demo", by="comms")
    # Missed (the pause used its claim up): the next regular slot takes it first.
    with capture_logs() as logs:
        result = rig.run("demo", SLOT + days(1))
    assert result.item_id == rig.posts()[0].item_id and rig.posts()[0].title == "pinned"
    [chose] = [e for e in logs if e["event"] == "slot_chose"]
    assert chose["reason"] == "pinned"
    assert next(e for e in logs if e["event"] == "post_published")["reason"] == "pinned"


# -- evergreen recycling -----------------------------------------------------------------------


def evergreen_posted(rig: EditorialRig, title: str = "guide", **fields: object) -> int:
    item = rig.add(title, category="resource", evergreen=True, **fields)  # type: ignore[arg-type]
    assert rig.run("demo", SLOT).item_id == item
    return item


def test_an_empty_slot_posts_an_evergreen_item_again_in_its_other_words(
    rig: EditorialRig,
) -> None:
    guide = evergreen_posted(rig, text="The guide", alt_text="The guide, read it again")
    assert rig.run("demo", SLOT + days(29)).outcome is SlotOutcome.EMPTY  # too soon
    with capture_logs() as logs:
        result = rig.run("demo", SLOT + days(30))
    assert result.outcome is SlotOutcome.PUBLISHED and result.item_id != guide
    assert [e["reason"] for e in logs if e["event"] == "slot_chose"] == ["evergreen fill"]
    assert rig.recycles_of(guide) == [result.item_id]
    assert rig.nets["demo"].posted[-1].text.startswith("The guide, read it again")
    rig.run("demo", SLOT + days(60))
    assert rig.run("demo", SLOT + days(90)).outcome is SlotOutcome.EMPTY  # max_repeats = 2
    assert len(rig.recycles_of(guide)) == 2


def test_recycling_is_off_without_fill_with_evergreen(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    off = EditorialConfig(recycle_after=days(30), fill_with_evergreen=False)
    rig = EditorialRig(engine, clock, tmp_path, [make_channel("demo")], off)
    guide = evergreen_posted(rig)
    assert rig.run("demo", SLOT + days(40)).outcome is SlotOutcome.EMPTY
    assert rig.recycles_of(guide) == []


def test_a_crash_after_making_a_recycle_never_makes_a_second_one(rig: EditorialRig) -> None:
    guide = evergreen_posted(rig)
    rig.clock.set(SLOT + days(30))
    # A process claimed the slot, made the recycle, and died before posting it.
    assert rig.ledger.claim_slot("demo", SLOT + days(30), "daemon@dead") is not None
    [green] = rig.store.evergreens("demo", rig.clock())
    made = rig.store.make_recycle(green, by="daemon@dead")
    assert rig.run("demo", SLOT + days(30)).outcome is None  # its slot is used up
    # The next slot posts the recycle already made; it does not make another.
    result = rig.run("demo", SLOT + days(31))
    assert result.outcome is SlotOutcome.PUBLISHED
    assert rig.recycles_of(guide) == [result.item_id] and made is not None


def test_replicas_racing_for_a_slot_make_and_post_one_recycle(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rig = EditorialRig(engine, clock, tmp_path, [make_channel("demo")], EDITORIAL)
    guide = evergreen_posted(rig)
    rig.clock.set(SLOT + days(30))
    replicas = [rig.publisher_as("daemon@a"), rig.publisher_as("daemon@b")]
    barrier = threading.Barrier(2)
    results = []

    def run(publisher: object) -> None:
        barrier.wait()
        results.append(publisher.run_slot(rig.channel("demo"), SLOT + days(30)))  # type: ignore[attr-defined]

    threads = [threading.Thread(target=run, args=(p,)) for p in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(str(r.outcome) for r in results) == ["None", "published"]
    assert len(rig.recycles_of(guide)) == 1 and rig.nets["demo"].publish_calls == 2


# -- reminders ---------------------------------------------------------------------------------


def test_reminders_before_an_event_and_nothing_after_it(rig: EditorialRig) -> None:
    event_at = SLOT + days(10) + timedelta(hours=8)  # 17:30 UTC
    summit = rig.add("Xen Summit", category="event", event_at=event_at)
    assert rig.run("demo", SLOT).item_id == summit
    for day in range(1, 12):
        rig.run("demo", SLOT + days(day))
    posts = rig.posts()
    assert [(p.reminder_of, p.at) for p in posts[1:]] == [
        (summit, SLOT + days(4)),  # 7 days before 17:30 is 17:30: the next slot, 09:30
        (summit, SLOT + days(10)),  # 1 day before
    ]
    assert posts[1].text == "Reminder: Xen Summit — 12 March 2026, 17:30"
    assert rig.nets["demo"].posted[1].text.startswith("Reminder: Xen Summit — 12 March 2026")
    assert all(p.at < event_at for p in posts)


def test_a_dry_run_says_why_and_writes_nothing(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    from tests.daemon.test_publishing import snapshot

    rig = EditorialRig(engine, clock, tmp_path, [make_channel("demo")], EDITORIAL)
    guide = evergreen_posted(rig)
    launch = rig.add("launch", category="announcement")
    rig.clock.set(SLOT + days(40))
    dry = rig.publisher
    dry.dry_run = True
    before = snapshot(engine)
    with capture_logs() as logs:
        assert dry.run_slot(rig.channel("demo"), SLOT + days(40)).detail == "dry run"
    assert [e["reason"] for e in logs if e["event"] == "dry_run_would_post"] == ["announcement"]
    assert snapshot(engine) == before
    rig.queue.cancel(launch)  # now only the evergreen item is left
    before = snapshot(engine)
    with capture_logs() as logs:
        result = dry.run_slot(rig.channel("demo"), SLOT + days(41))
    assert (result.item_id, result.detail) == (guide, "dry run")
    assert [e["reason"] for e in logs if e["event"] == "dry_run_would_make"] == ["evergreen fill"]
    assert snapshot(engine) == before
