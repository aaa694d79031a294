"""The publisher under editorial control, on both backends with a test clock: blackouts and
pauses skip slots (recorded, never caught up), a channel's own text is what it posts, and every
publish and failure is in the audit log under the daemon's identity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, SlotOutcome
from content_queue.audit import AuditLog
from tests.conftest import FakeClock
from tests.daemon.conftest import (
    FakeNetwork,
    Sleeps,
    UnreliableNetwork,
    make_channel,
    make_settings,
)
from tests.stored_rows import recent_slots
from xensocial.adapters.base import AuthError, ChannelContext, Rejected, TransientError
from xensocial.config import ChannelConfig
from xensocial.config.blackouts import BlackoutConfig
from xensocial.daemon import first_slot
from xensocial.publishing import Publisher

from .conftest import actions, new_item

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the channel's daily slot (09:30 UTC)
DAY = timedelta(days=1)


class Rig:
    """A publisher for channel `demo` (09:30 UTC daily, 10 a day) over a fake network."""

    def __init__(
        self,
        engine: Engine,
        clock: FakeClock,
        tmp_path: Path,
        *,
        network: type[FakeNetwork] = FakeNetwork,
        blackouts: tuple[BlackoutConfig, ...] = (),
        dry_run: bool = False,
        **fake: Any,
    ) -> None:
        self.clock = clock
        self.channel: ChannelConfig = make_channel(catch_up_grace=timedelta(hours=2))
        settings = replace(make_settings(tmp_path, [self.channel]), blackouts=blackouts)
        self.net = network(ChannelContext("demo", data_dir=tmp_path, clock=clock), **fake)
        self.queue = ContentQueue(engine, clock)
        self.engine = engine
        self.ledger = Ledger(engine, clock)
        self.audit = AuditLog(engine)
        self.publisher = Publisher(
            self.ledger,
            {"demo": self.net},
            settings,
            identity="daemon@host-a",
            clock=clock,
            sleep=Sleeps(),
            dry_run=dry_run,
            queue=self.queue,
        )

    def add(self, n: int, **fields: Any) -> list[int]:
        return [
            self.queue.add(
                new_item(f"https://example.org/{i}-{self.clock().timestamp()}", ("demo",), **fields)
            ).id
            for i in range(n)
        ]

    def run(self, slot_at: datetime) -> Any:
        self.clock.set(max(self.clock(), slot_at))
        return self.publisher.run_slot(self.channel, slot_at)

    def slots(self) -> list[tuple[datetime, str, str | None]]:
        return sorted((r.slot_at, r.outcome, r.detail) for r in recent_slots(self.engine, "demo"))

    def states(self) -> list[str]:
        return [
            d.state
            for i in self.queue.list_items(newest_first=False)
            for d in i.deliveries
            if d.channel == "demo"
        ]


@pytest.fixture
def rig(engine: Engine, clock: FakeClock, tmp_path: Path) -> Rig:
    clock.set(SLOT - timedelta(hours=1))
    return Rig(engine, clock, tmp_path)


def test_a_stored_blackout_skips_the_slot_and_nothing_is_caught_up(rig: Rig) -> None:
    rig.add(3)
    rig.ledger.add_blackout(SLOT - timedelta(hours=1), SLOT + DAY, reason="Christmas", by="alice")
    result = rig.run(SLOT)
    assert (result.outcome, result.detail) == (SlotOutcome.SKIPPED, "blackout: Christmas")
    assert rig.net.publish_calls == 0 and rig.states() == ["pending"] * 3
    # The blackout ends at 09:30 the next day, 10 minutes late: that slot is no longer covered
    # (the end is exclusive), but the one inside was used up, so a restart now catches up only
    # the next day's slot, once: no flood.
    later = SLOT + DAY + timedelta(minutes=10)
    rig.clock.set(later)
    assert first_slot(rig.ledger, rig.channel, later) == (SLOT + DAY, later, True)
    assert rig.run(SLOT + DAY).outcome is SlotOutcome.PUBLISHED
    assert rig.states() == ["published", "pending", "pending"]
    assert rig.slots() == [
        (SLOT, "skipped", "blackout: Christmas"),
        (SLOT + DAY, "published", None),
    ]


def test_a_slot_missed_during_a_blackout_is_skipped_when_caught_up_after_it(rig: Rig) -> None:
    rig.add(1)
    rig.ledger.add_blackout(SLOT - timedelta(minutes=5), SLOT + timedelta(minutes=5), reason="x")
    # The daemon was down during the whole blackout; back 30 minutes later, within the grace.
    back = SLOT + timedelta(minutes=30)
    rig.clock.set(back)
    missed, run_at, catch_up = first_slot(rig.ledger, rig.channel, back)
    assert (missed, catch_up) == (SLOT, True)
    assert rig.run(missed).detail == "blackout: x"
    assert rig.net.publish_calls == 0
    assert first_slot(rig.ledger, rig.channel, back)[0] == SLOT + DAY  # used up, not retried


def test_acting_inside_a_blackout_skips_a_slot_that_fell_before_it(rig: Rig) -> None:
    rig.add(1)
    rig.ledger.add_blackout(SLOT + timedelta(minutes=1), SLOT + timedelta(hours=3), reason="late")
    rig.clock.set(SLOT + timedelta(minutes=20))  # a catch-up (or a long jitter) lands inside
    assert rig.publisher.run_slot(rig.channel, SLOT).detail == "blackout: late"
    assert rig.net.publish_calls == 0


def test_configured_blackouts_apply_to_their_channels_only(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(SLOT)
    other = BlackoutConfig(0, SLOT - DAY, SLOT + DAY, "not ours", ("other",))
    mine = BlackoutConfig(1, SLOT + DAY, SLOT + 2 * DAY, "", ())
    rig = Rig(engine, clock, tmp_path, blackouts=(other, mine))
    rig.add(2)
    assert rig.run(SLOT).outcome is SlotOutcome.PUBLISHED
    assert rig.run(SLOT + DAY).detail == "blackout: no reason given"
    assert rig.run(SLOT + 2 * DAY).outcome is SlotOutcome.PUBLISHED  # the end is exclusive
    assert rig.net.publish_calls == 2


def test_a_pinned_time_inside_a_blackout_is_skipped_and_says_so(rig: Rig) -> None:
    # Pinned posts are run through the same `run_slot`, at their own instant.
    rig.add(1)
    rig.ledger.add_blackout(SLOT, SLOT + timedelta(hours=2), reason="embargo", channels=["demo"])
    pinned = SLOT + timedelta(minutes=47, seconds=13)
    assert rig.run(pinned).detail == "blackout: embargo"
    assert rig.publisher.held("demo", pinned) == "blackout: embargo"
    rig.clock.set(SLOT + timedelta(hours=2))  # the end is exclusive
    assert rig.publisher.held("demo", rig.clock()) is None


def test_a_pause_of_every_channel_skips_and_resume_posts_again(rig: Rig) -> None:
    rig.add(2)
    rig.ledger.pause("demo", "crisis", by="alice")
    assert rig.run(SLOT).detail == "paused: crisis"
    assert rig.publisher.held("demo", SLOT + DAY) == "paused: crisis"
    rig.ledger.resume("demo", by="alice")
    assert rig.run(SLOT + DAY).outcome is SlotOutcome.PUBLISHED
    assert rig.net.publish_calls == 1


def test_a_dry_run_says_it_would_skip_and_writes_nothing(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(SLOT)
    rig = Rig(engine, clock, tmp_path, dry_run=True)
    rig.add(1)
    rig.ledger.add_blackout(SLOT, SLOT + DAY, reason="quiet")
    assert rig.run(SLOT).detail == "blackout: quiet"
    assert rig.slots() == [] and rig.net.publish_calls == 0


def test_the_channels_own_text_is_what_is_posted(rig: Rig) -> None:
    [item] = rig.add(1, title="Title", text="The item's text")
    rig.queue.set_text(item, "demo", "Only for this network")
    assert rig.run(SLOT).outcome is SlotOutcome.PUBLISHED
    [post] = rig.net.posted
    assert post.text.startswith("Only for this network\n\nhttps://example.org/")
    assert "The item's text" not in post.text


def test_an_own_text_that_no_longer_fits_fails_the_delivery_uncut(rig: Rig) -> None:
    [item] = rig.add(1)
    rig.queue.set_text(item, "demo", "word " * 150)  # 750 characters: the fake allows 500
    result = rig.run(SLOT)
    assert result.outcome is SlotOutcome.FAILED and rig.net.publish_calls == 0
    delivery = rig.queue.get(item).delivery("demo")
    assert delivery is not None and delivery.state == "failed"
    assert delivery.last_error is not None
    assert "the text for channel 'demo'" in delivery.last_error
    assert "over the limit of 500" in delivery.last_error


def test_publishes_and_failures_are_audited_under_the_daemons_identity(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(SLOT)
    rig = Rig(
        engine,
        clock,
        tmp_path,
        network=UnreliableNetwork,
        script=[
            None,
            Rejected("too long"),
            TransientError("read timeout", maybe_posted=True),  # and a lookup finds nothing
            AuthError("token revoked"),
        ],
    )
    published, rejected, lost, refused = rig.add(4)
    rig.run(SLOT)  # published
    rig.run(SLOT + DAY)  # rejected, then (same slot) the next one is lost: unknown
    rig.run(SLOT + 2 * DAY)  # auth refused: the channel pauses
    entries = rig.audit.entries(channel="demo")
    assert [a for a in actions(entries) if a[0] != "add"] == [
        ("publish", "daemon@host-a", published, "demo"),
        ("fail", "daemon@host-a", rejected, "demo"),
        ("unknown", "daemon@host-a", lost, "demo"),
        ("pause", "daemon@host-a", None, "demo"),
    ]
    details = {e.action: e.detail for e in entries}
    assert details["publish"].startswith("published: fake-1; posted: 'https://example.org/0-")
    assert details["fail"] == "failed: rejected: too long"
    assert details["unknown"].startswith("unknown: TransientError: read timeout; not found")
    assert details["pause"] == "paused: auth failed: token revoked"
    assert rig.queue.get(refused).delivery("demo").state == "pending"  # type: ignore[union-attr]
