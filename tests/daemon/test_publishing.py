"""The exactly-once protocol, on a real database (SQLite and PostgreSQL) with a test clock.

The network is either the real outbox adapter (a file) or a FakeNetwork scripted to fail the
way networks do. Every test checks the database state the protocol leaves, not only its answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, SlotOutcome
from tests.choosing import claim
from tests.conftest import FakeClock
from tests.stored_rows import recent_slots
from xensocial.adapters.base import (
    AuthError,
    ChannelContext,
    RateLimited,
    Rejected,
    TransientError,
)
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.publishing import Publisher

from .conftest import (
    FakeNetwork,
    PostedThenLost,
    Sleeps,
    UnreliableNetwork,
    add_items,
    make_channel,
    make_settings,
)

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def state(queue: ContentQueue, item_id: int, channel: str = "demo") -> str:
    d = queue.get(item_id).delivery(channel)
    assert d is not None
    return d.state


def fake(
    clock: FakeClock, tmp_path: Path, cls: type[FakeNetwork] = FakeNetwork, **kw: object
) -> FakeNetwork:
    return cls(ChannelContext("demo", data_dir=tmp_path, clock=clock), **kw)  # type: ignore[arg-type]


def publisher(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    adapter: object,
    *,
    channel_kw: dict[str, object] | None = None,
    sleep: Sleeps | None = None,
    dry_run: bool = False,
    **publishing: object,
) -> tuple[Publisher, object]:
    channel = make_channel(**(channel_kw or {}))
    settings = make_settings(tmp_path, [channel], **publishing)
    pub = Publisher(
        Ledger(engine, clock),
        {"demo": adapter},  # type: ignore[dict-item]
        settings,
        identity="host-a",
        clock=clock,
        sleep=sleep or Sleeps(),
        dry_run=dry_run,
        queue=ContentQueue(engine, clock),
    )
    return pub, channel


@pytest.fixture
def queue(engine: Engine, clock: FakeClock) -> ContentQueue:
    return ContentQueue(engine, clock)


def test_publishes_to_the_outbox_and_records_the_slot(engine, clock, tmp_path, queue):
    [item] = add_items(queue, 1)
    outbox = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    pub, channel = publisher(engine, clock, tmp_path, outbox)
    result = pub.run_slot(channel, SLOT)
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    delivery = queue.get(item).delivery("demo")
    assert delivery is not None and delivery.state == "published"
    assert [(r["item_id"], r["key"]) for r in lines] == [(item, delivery.idempotency_key)]
    assert delivery.remote_id == lines[0]["remote_id"]
    [slot] = recent_slots(engine, "demo")
    assert (slot.slot_at, slot.outcome, slot.item_id) == (SLOT, "published", item)


def test_a_slot_claimed_twice_does_nothing_the_second_time(engine, clock, tmp_path, queue):
    add_items(queue, 2)
    net = fake(clock, tmp_path)
    pub, channel = publisher(engine, clock, tmp_path, net)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    again = pub.run_slot(channel, SLOT)
    assert again.outcome is None and net.publish_calls == 1
    assert len(recent_slots(engine, "demo")) == 1


def test_empty_queue_records_an_empty_slot(engine, clock, tmp_path, queue):
    pub, channel = publisher(engine, clock, tmp_path, fake(clock, tmp_path))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.EMPTY
    assert recent_slots(engine, "demo")[0].outcome == "empty"


def test_transient_errors_are_retried_with_capped_exponential_backoff(
    engine, clock, tmp_path, queue
):
    [item] = add_items(queue, 1)
    net = fake(
        clock,
        tmp_path,
        script=[TransientError("503"), TransientError("503"), TransientError("503")],
    )
    sleeps = Sleeps()
    pub, channel = publisher(engine, clock, tmp_path, net, sleep=sleeps, max_attempts=4)
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.PUBLISHED
    assert sleeps.waits == [2.0, 3.0, 3.0]  # 2s, 4s capped at 3s, 8s capped at 3s
    delivery = queue.get(item).delivery("demo")
    assert delivery is not None and delivery.attempts == 4 and len(net.posted) == 1


def test_attempts_running_out_release_the_item_for_a_later_slot(engine, clock, tmp_path, queue):
    [item] = add_items(queue, 1)
    net = fake(clock, tmp_path, script=[TransientError("down")] * 3)
    pub, channel = publisher(engine, clock, tmp_path, net, max_attempts=3)
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.FAILED and "3 attempt(s) failed" in (result.detail or "")
    delivery = queue.get(item).delivery("demo")
    assert (
        delivery is not None
        and delivery.state == "pending"
        and "down" in (delivery.last_error or "")
    )
    assert recent_slots(engine, "demo")[0].outcome == "failed"
    # The next slot posts it.
    assert pub.run_slot(channel, SLOT + timedelta(days=1)).outcome is SlotOutcome.PUBLISHED
    assert len(net.posted) == 1


def test_a_post_that_went_out_before_a_timeout_is_found_not_sent_again(
    engine, clock, tmp_path, queue
):
    [item] = add_items(queue, 1)
    net = fake(clock, tmp_path, script=[PostedThenLost()])
    pub, channel = publisher(engine, clock, tmp_path, net)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    assert (net.publish_calls, net.lookups, len(net.posted)) == (1, 1, 1)
    assert state(queue, item) == "published"


def test_maybe_posted_but_proved_absent_is_sent_again(engine, clock, tmp_path, queue):
    [item] = add_items(queue, 1)
    net = fake(clock, tmp_path, script=[TransientError("timeout", maybe_posted=True)])
    pub, channel = publisher(engine, clock, tmp_path, net)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    assert (net.publish_calls, net.lookups, len(net.posted)) == (2, 1, 1)


def test_maybe_posted_with_an_unreliable_lookup_goes_to_unknown(engine, clock, tmp_path, queue):
    [item] = add_items(queue, 1)
    net = fake(
        clock, tmp_path, UnreliableNetwork, script=[TransientError("timeout", maybe_posted=True)]
    )
    pub, channel = publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.FAILED and net.publish_calls == 1
    assert state(queue, item) == "unknown"


def test_maybe_posted_and_lookups_failing_leave_it_for_reconciliation(
    engine, clock, tmp_path, queue
):
    [item] = add_items(queue, 1)
    net = fake(
        clock,
        tmp_path,
        script=[PostedThenLost()],
        lookup_script=[TransientError("search down")] * 3,
    )
    pub, channel = publisher(engine, clock, tmp_path, net, max_attempts=3)
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.FAILED and "reconciliation" in (result.detail or "")
    assert state(queue, item) == "publishing" and net.publish_calls == 1
    # The channel's next slot reconciles first: the post is found, and nothing is sent twice.
    add_items(queue, 1)  # something else to post
    clock.advance(days=1)
    assert pub.run_slot(channel, SLOT + timedelta(days=1)).outcome is SlotOutcome.PUBLISHED
    assert state(queue, item) == "published"
    assert [p.item_id for p in net.posted].count(item) == 1


def test_a_rejection_fails_that_item_and_the_slot_takes_the_next(engine, clock, tmp_path, queue):
    first, second = add_items(queue, 2)
    net = fake(clock, tmp_path, script=[Rejected("duplicate content", duplicate=True)])
    pub, channel = publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(channel, SLOT)
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, second)
    assert state(queue, first) == "failed" and state(queue, second) == "published"
    d = queue.get(first).delivery("demo")
    assert d is not None and "duplicate content" in (d.last_error or "")


def test_rejections_stop_at_max_items_per_slot(engine, clock, tmp_path, queue):
    items = add_items(queue, 3)
    net = fake(clock, tmp_path, script=[Rejected("no")] * 3)
    pub, channel = publisher(engine, clock, tmp_path, net, max_items_per_slot=2)
    result = pub.run_slot(channel, SLOT)
    assert (
        result.outcome is SlotOutcome.FAILED
        and result.detail
        and result.detail.startswith("rejected")
    )
    assert [state(queue, i) for i in items] == ["failed", "failed", "pending"]


def test_an_auth_error_pauses_the_channel_and_keeps_the_items(engine, clock, tmp_path, queue):
    items = add_items(queue, 2)
    net = fake(clock, tmp_path, script=[AuthError("token revoked")])
    pub, channel = publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.SKIPPED and "auth failed" in (result.detail or "")
    status = Ledger(engine).status("demo")
    assert status.paused and "token revoked" in (status.pause_reason or "")
    assert status.paused_by == "host-a"
    assert [state(queue, i) for i in items] == ["pending", "pending"]
    later = pub.run_slot(channel, SLOT + timedelta(hours=1))
    assert later.outcome is SlotOutcome.SKIPPED and "paused: auth failed" in (later.detail or "")
    assert net.publish_calls == 1


def test_a_short_rate_limit_is_waited_out(engine, clock, tmp_path, queue):
    add_items(queue, 1)
    net = fake(
        clock, tmp_path, script=[RateLimited("slow down", reset_at=clock() + timedelta(seconds=30))]
    )
    sleeps = Sleeps()
    pub, channel = publisher(engine, clock, tmp_path, net, sleep=sleeps)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    assert sleeps.waits == [30.0]


def test_a_long_rate_limit_gives_the_slot_up(engine, clock, tmp_path, queue):
    [item] = add_items(queue, 1)
    reset = clock() + timedelta(hours=2)
    net = fake(clock, tmp_path, script=[RateLimited("slow down", reset_at=reset)])
    sleeps = Sleeps()
    pub, channel = publisher(engine, clock, tmp_path, net, sleep=sleeps)
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.FAILED
    assert result.detail == f"rate limited until {reset.isoformat()}"
    assert sleeps.waits == [] and state(queue, item) == "pending"


@pytest.mark.parametrize("maybe_posted,expected", [(False, "pending"), (True, "publishing")])
def test_a_stop_during_backoff_stops_retrying(
    engine, clock, tmp_path, queue, maybe_posted, expected
):
    [item] = add_items(queue, 1)
    net = fake(clock, tmp_path, script=[TransientError("503", maybe_posted=maybe_posted)])
    pub, channel = publisher(engine, clock, tmp_path, net, sleep=Sleeps(stop_at=1))
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.FAILED and "stopped" in (result.detail or "")
    assert net.publish_calls == 1 and state(queue, item) == expected


def test_daily_cap_counts_the_channels_local_day(engine, clock, tmp_path, queue):
    add_items(queue, 3)
    net = fake(clock, tmp_path)
    kw = {"timezone": "Europe/Amsterdam", "max_per_day": 1}
    pub, channel = publisher(engine, clock, tmp_path, net, channel_kw=kw)
    # 22:30 UTC on 2 March is 23:30 in Amsterdam; 23:30 UTC is already 3 March there.
    clock.set(datetime(2026, 3, 2, 22, 30, tzinfo=UTC))
    assert pub.run_slot(channel, clock()).outcome is SlotOutcome.PUBLISHED
    clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))  # same UTC day, next local day
    assert pub.run_slot(channel, clock()).outcome is SlotOutcome.PUBLISHED
    clock.set(datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
    capped = pub.run_slot(channel, clock())
    assert capped.outcome is SlotOutcome.SKIPPED and "daily cap" in (capped.detail or "")
    assert "2026-03-03" in (capped.detail or "")
    assert recent_slots(engine, "demo", limit=1)[0].detail == capped.detail


def test_min_gap_skips_a_slot_too_close_to_the_last_post(engine, clock, tmp_path, queue):
    add_items(queue, 2)
    net = fake(clock, tmp_path)
    pub, channel = publisher(
        engine, clock, tmp_path, net, channel_kw={"min_gap": timedelta(hours=2)}
    )
    assert pub.run_slot(channel, clock()).outcome is SlotOutcome.PUBLISHED
    clock.advance(hours=1)
    gap = pub.run_slot(channel, clock())
    assert gap.outcome is SlotOutcome.SKIPPED and (gap.detail or "").startswith("min_gap")
    clock.advance(hours=1)
    assert pub.run_slot(channel, clock()).outcome is SlotOutcome.PUBLISHED


def test_a_paused_channel_claims_the_slot_as_skipped(engine, clock, tmp_path, queue):
    [item] = add_items(queue, 1)
    Ledger(engine).pause("demo", "launch week", by="alice")
    net = fake(clock, tmp_path)
    pub, channel = publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.SKIPPED and result.detail == "paused: launch week"
    assert recent_slots(engine, "demo")[0].outcome == "skipped"
    assert net.publish_calls == 0 and state(queue, item) == "pending"


# -- reconciliation ---------------------------------------------------------------------------


def crashed_mid_post(
    engine: Engine, clock: FakeClock, queue: ContentQueue, owner: str = "host-a"
) -> int:
    """An item whose delivery was left `publishing` by a crash; returns the item id."""
    [item] = add_items(queue, 1)
    d = queue.get(item).delivery("demo")
    assert d is not None
    assert claim(
        Ledger(engine, clock),
        d.id,
        owner,
        clock() + timedelta(minutes=5),
        channel="demo",
        now=clock(),
    )
    return item


def test_reconcile_finds_a_post_that_is_out(engine, clock, tmp_path, queue):
    item = crashed_mid_post(engine, clock, queue)
    net = fake(clock, tmp_path)
    pub, channel = publisher(engine, clock, tmp_path, net)
    d = queue.get(item).delivery("demo")
    assert d is not None
    net.publish(pub._post(channel, d, queue.get(item)))  # it reached the network before the crash
    [done] = pub.reconcile()
    assert done.action == "published" and state(queue, item) == "published"
    assert net.publish_calls == 1


def test_reconcile_releases_a_post_proved_absent(engine, clock, tmp_path, queue):
    item = crashed_mid_post(engine, clock, queue)
    net = fake(clock, tmp_path)
    pub, _ = publisher(engine, clock, tmp_path, net)
    [done] = pub.reconcile()
    assert done.action == "released" and state(queue, item) == "pending"
    assert net.publish_calls == 0


def test_reconcile_with_an_unreliable_lookup_marks_unknown(engine, clock, tmp_path, queue):
    item = crashed_mid_post(engine, clock, queue)
    pub, _ = publisher(engine, clock, tmp_path, fake(clock, tmp_path, UnreliableNetwork))
    [done] = pub.reconcile()
    assert done.action == "unknown" and state(queue, item) == "unknown"


def test_reconcile_leaves_it_when_the_lookup_fails(engine, clock, tmp_path, queue):
    item = crashed_mid_post(engine, clock, queue)
    net = fake(clock, tmp_path, lookup_script=[TransientError("search down")])
    pub, _ = publisher(engine, clock, tmp_path, net)
    [done] = pub.reconcile()
    assert done.action == "left" and state(queue, item) == "publishing"
    [again] = pub.reconcile()  # the next start tries again
    assert again.action == "released"


def test_reconcile_leaves_another_replicas_live_lease_alone(engine, clock, tmp_path, queue):
    item = crashed_mid_post(engine, clock, queue, owner="host-b")
    pub, _ = publisher(engine, clock, tmp_path, fake(clock, tmp_path))
    assert pub.reconcile() == []
    clock.advance(minutes=6)  # host-b's lease has expired: we may take over
    [done] = pub.reconcile()
    assert done.action == "released" and state(queue, item) == "pending"


# -- dry run ------------------------------------------------------------------------------------


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    tables = ["items", "deliveries", "slot_claims", "channel_states"]
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
            for t in tables
        }


def test_dry_run_writes_nothing_and_calls_no_network(engine, clock, tmp_path, queue):
    [item] = add_items(queue, 1)
    crashed_mid_post(engine, clock, queue)
    before = snapshot(engine)
    outbox = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    pub, channel = publisher(engine, clock, tmp_path, outbox, dry_run=True)
    assert pub.reconcile() == []
    result = pub.run_slot(channel, SLOT)
    assert (result.outcome, result.item_id, result.detail) == (
        SlotOutcome.PUBLISHED,
        item,
        "dry run",
    )
    assert snapshot(engine) == before
    assert not (tmp_path / "out.jsonl").exists()


def test_dry_run_needs_the_queue(engine, clock, tmp_path):
    settings = make_settings(tmp_path, [make_channel()])
    with pytest.raises(ValueError, match="queue"):
        Publisher(Ledger(engine), {}, settings, identity="x", dry_run=True)


def test_reconcile_with_the_real_outbox_finds_a_line_written_before_the_crash(
    engine, clock, tmp_path, queue
):
    item = crashed_mid_post(engine, clock, queue)
    outbox = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    pub, channel = publisher(engine, clock, tmp_path, outbox)
    d = queue.get(item).delivery("demo")
    assert d is not None
    outbox.publish(pub._post(channel, d, queue.get(item)))  # written, then the process died
    [done] = pub.reconcile()
    assert done.action == "published" and state(queue, item) == "published"
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.EMPTY  # nothing sent again
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 1


def test_a_slot_leaves_another_replicas_post_in_flight_alone(engine, clock, tmp_path, queue):
    theirs = crashed_mid_post(engine, clock, queue, owner="host-b")  # live lease: under way
    [ours] = add_items(queue, 1)
    net = fake(clock, tmp_path)
    pub, channel = publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(channel, SLOT)
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, ours)
    assert state(queue, theirs) == "publishing" and net.lookups == 0
