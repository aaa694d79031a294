"""The audit log, written by the queue and the ledger in the transaction of each change, on
SQLite and PostgreSQL: who did what, and nothing recorded for a change that did not happen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger
from content_queue.audit import AuditLog
from content_queue.errors import InvalidItem, InvalidTransition, ItemNotFound
from content_queue.schema import AuditEntry, ItemState
from content_queue.sources import EntryData, FeedSpec, FeedStore
from tests.conftest import FakeClock

from .conftest import actions, new_item


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def test_each_queue_change_is_recorded_with_who_and_what(
    queue: ContentQueue, audit: AuditLog, clock: FakeClock
) -> None:
    item = queue.add(new_item("https://example.org/a", created_by="alice", draft=True))
    clock.advance(minutes=1)
    queue.edit_item(item.id, {"title": "New title", "priority": 3}, by="bob")
    clock.advance(minutes=1)
    queue.approve_many([item.id], by="carol")
    clock.advance(minutes=1)
    queue.set_text(item.id, "demo", "Our own words", by="dave")
    clock.advance(minutes=1)
    queue.cancel(item.id, by="erin")
    entries = audit.entries(item_id=item.id)
    assert actions(entries) == [
        ("add", "alice", item.id, None),
        ("edit", "bob", item.id, None),
        ("approve", "carol", item.id, None),
        ("edit", "dave", item.id, "demo"),
        ("cancel", "erin", item.id, None),
    ]
    add, edit, approve, own_text, cancel = reversed(entries)
    assert add.detail == "manual: https://example.org/a for demo, fast (draft)"
    assert edit.detail == "priority -> 3; title -> New title"
    assert own_text.detail == "own text for demo: 'Our own words'"
    assert cancel.detail == "cancelled (was approved)"
    assert [e.at for e in reversed(entries)] == sorted(e.at for e in entries)
    assert add.at == approve.at - timedelta(minutes=2)


def test_approval_records_who_and_when_on_the_item(
    engine: Engine, queue: ContentQueue, clock: FakeClock
) -> None:
    from sqlalchemy.orm import Session

    from content_queue.schema import Item

    item = queue.add(new_item("https://example.org/b", draft=True))
    queue.approve_many([item.id], by="carol")
    with Session(engine) as s:
        row = s.get_one(Item, item.id)
        assert (row.state, row.approved_by, row.approved_at) == ("approved", "carol", clock())


def test_nothing_is_recorded_for_what_did_not_change(
    engine: Engine, queue: ContentQueue, audit: AuditLog
) -> None:
    item = queue.add(new_item("https://example.org/c", title="Same"))
    before = _count(engine)
    assert queue.approve_many([item.id], by="x") == [
        (queue.get(item.id), False)
    ]  # already approved
    queue.edit_item(item.id, {"title": "Same"}, by="x")  # the same value
    queue.cancel(item.id, by="x")
    queue.cancel(item.id, by="x")  # already cancelled
    assert [e.action for e in audit.entries(item_id=item.id)] == ["cancel", "add"]
    assert _count(engine) == before + 1


def test_approving_several_is_all_or_nothing(
    engine: Engine, queue: ContentQueue, audit: AuditLog
) -> None:
    a = queue.add(new_item("https://example.org/d1", draft=True))
    b = queue.add(new_item("https://example.org/d2", draft=True))
    c = queue.add(new_item("https://example.org/d3", draft=True))
    queue.cancel(c.id, by="x")
    before = _count(engine)
    with pytest.raises(ItemNotFound):
        queue.approve_many([a.id, b.id, 999_999], by="carol")
    with pytest.raises(InvalidTransition):
        queue.approve_many([a.id, c.id], by="carol")
    assert queue.get(a.id).state == queue.get(b.id).state == ItemState.DRAFT
    assert _count(engine) == before
    done = queue.approve_many([a.id, b.id, a.id], by="carol")  # a repeated id counts once
    assert [(i.id, changed) for i, changed in done] == [(a.id, True), (b.id, True)]
    assert _count(engine) == before + 2


def test_a_channels_own_text_is_refused_where_it_cannot_apply(
    queue: ContentQueue, ledger: Ledger, clock: FakeClock
) -> None:
    item = queue.add(new_item("https://example.org/e", channels=("demo",)))
    with pytest.raises(InvalidItem, match="not for 'fast'"):
        queue.set_text(item.id, "fast", "words")
    with pytest.raises(InvalidItem, match="must not be empty"):
        queue.set_text(item.id, "demo", "   ")
    with pytest.raises(InvalidItem, match="NUL"):
        queue.set_text(item.id, "demo", "a\x00b")
    began = ledger.claim_next("demo", "host", clock(), clock() + timedelta(minutes=5))
    assert began is not None
    with pytest.raises(InvalidItem, match="already publishing on demo"):
        queue.set_text(item.id, "demo", "too late")
    delivery = queue.get(item.id).delivery("demo")
    assert delivery is not None and delivery.text_override is None


def test_own_text_is_set_and_cleared(queue: ContentQueue) -> None:
    item = queue.add(new_item("https://example.org/f"))
    changed, did = queue.set_text(item.id, "fast", "  Words for fast only  ")
    assert did and [(d.channel, d.text_override) for d in changed.deliveries] == [
        ("demo", None),
        ("fast", "Words for fast only"),
    ]
    # The same words again change nothing: no time stamp moves.
    assert queue.set_text(item.id, "fast", "Words for fast only") == (changed, False)
    cleared, did = queue.set_text(item.id, "fast", None)
    assert did and all(d.text_override is None for d in cleared.deliveries)
    assert queue.set_text(item.id, "fast", None) == (cleared, False)


def test_publish_failure_unknown_retry_and_resolve_are_recorded(
    queue: ContentQueue, ledger: Ledger, audit: AuditLog, clock: FakeClock
) -> None:
    a, b, c = (queue.add(new_item(f"https://example.org/p{i}", channels=("demo",))) for i in "abc")
    lease = clock() + timedelta(minutes=5)
    ids = {}
    for _ in range(3):  # oldest first: a, b, c
        began = ledger.claim_next("demo", "daemon@host", clock(), lease)
        assert began is not None
        ids[began[1].id] = began[0].id
    assert ledger.mark_published(
        ids[a.id],
        remote_id="r1",
        remote_url="https://social.example/1",
        published_at=clock(),
        owner="daemon@host",
    )
    assert ledger.mark_failed(ids[b.id], "rejected: too long", owner="daemon@host")
    assert ledger.mark_unknown(ids[c.id], "timeout; lookup cannot tell", owner="daemon@host")
    # A finishing step that does not apply (wrong owner, wrong state) records nothing.
    assert not ledger.mark_failed(ids[a.id], "late", owner="daemon@host")
    assert not ledger.mark_published(
        ids[c.id], remote_id="x", remote_url=None, published_at=clock(), owner="someone-else"
    )
    assert ledger.retry(ids[b.id], by="bob")
    assert ledger.resolve(ids[c.id], remote_url="https://social.example/3", at=clock(), by="carol")
    assert actions(audit.entries(channel="demo"))[-5:] == [
        ("publish", "daemon@host", a.id, "demo"),
        ("fail", "daemon@host", b.id, "demo"),
        ("unknown", "daemon@host", c.id, "demo"),
        ("retry", "bob", b.id, "demo"),
        ("resolve", "carol", c.id, "demo"),
    ]
    details = {e.action: e.detail for e in audit.entries(channel="demo")}
    # No record given: the item's link and (empty) text stand in for what went out.
    assert (
        details["publish"] == "published: https://social.example/1; posted: https://example.org/pa"
    )
    assert details["fail"] == "failed: rejected: too long"
    assert details["unknown"] == "unknown: timeout; lookup cannot tell"
    assert details["resolve"] == (
        "recorded as published: https://social.example/3; posted: https://example.org/pc"
    )
    resolved = queue.get(c.id).delivery("demo")
    assert resolved is not None and resolved.state == "published"
    assert resolved.remote_url == "https://social.example/3"


def test_pause_resume_and_blackouts_are_recorded(
    ledger: Ledger, audit: AuditLog, clock: FakeClock
) -> None:
    ledger.pause("demo", "crisis", by="alice")
    ledger.pause("demo", "still a crisis", by="alice")
    ledger.resume("demo", by="bob")
    assert not ledger.resume("demo", by="bob")  # not paused: nothing to record
    [added] = ledger.add_blackout(clock(), clock() + timedelta(days=1), reason="Holiday", by="c")
    ledger.remove_blackout(added.id, by="d")
    entries = audit.entries()
    assert actions(entries) == [
        ("pause", "alice", None, "demo"),
        ("pause", "alice", None, "demo"),
        ("resume", "bob", None, "demo"),
        ("blackout-add", "c", None, None),
        ("blackout-remove", "d", None, None),
    ]
    assert [e.detail for e in reversed(entries)][:3] == [
        "paused: crisis",
        "still paused, reason now: still a crisis",
        "resumed (was paused: still a crisis)",
    ]
    assert entries[0].detail.startswith(f"blackout {added.id} on every channel, ")


def test_items_from_a_csv_import_and_a_feed_are_recorded_as_added(
    engine: Engine, queue: ContentQueue, audit: AuditLog, clock: FakeClock
) -> None:
    result = queue.add_many(
        [
            (2, new_item("https://example.org/csv1", source="csv", created_by="alice")),
            (3, new_item("https://example.org/csv1", source="csv", created_by="alice")),
        ]
    )
    [(_, from_csv)] = result.added
    feeds = FeedStore(engine, clock)
    feed = feeds.add(FeedSpec(name="blog", url="https://example.org/feed.xml", initial=5))
    entry = EntryData(
        key="id:1", url="https://example.org/post", title="Post", text="", content_hash="h1"
    )
    [from_feed] = feeds.record_poll(
        feed.id, [entry], channels=["demo"], etag=None, last_modified=None
    ).added
    assert actions(audit.entries())[-2:] == [
        ("add", "alice", from_csv.id, None),
        ("add", "feed:blog", from_feed, None),
    ]
    assert audit.entries(item_id=from_feed)[0].detail == (
        "feed: https://example.org/post for demo (draft)"
    )


def test_filters_item_channel_since_and_limit(
    queue: ContentQueue, ledger: Ledger, audit: AuditLog, clock: FakeClock
) -> None:
    demo_only = queue.add(new_item("https://example.org/g1", channels=("demo",)))
    clock.advance(hours=1)
    fast_only = queue.add(new_item("https://example.org/g2", channels=("fast",)))
    ledger.pause("fast", "maintenance", by="ops")
    ledger.add_blackout(clock(), clock() + timedelta(hours=2), reason="everyone", by="ops")
    ledger.add_blackout(
        clock(), clock() + timedelta(hours=2), reason="demo only", channels=["demo"], by="ops"
    )
    on_demo = audit.entries(channel="demo")
    assert [(e.action, e.item_id, e.channel) for e in reversed(on_demo)] == [
        ("add", demo_only.id, None),  # an item it posts
        ("blackout-add", None, None),  # every channel
        ("blackout-add", None, "demo"),  # its own
    ]
    on_fast = {(e.action, e.item_id, e.channel) for e in audit.entries(channel="fast")}
    assert on_fast == {
        ("add", fast_only.id, None),
        ("pause", None, "fast"),
        ("blackout-add", None, None),
    }
    recent = audit.entries(since=clock() - timedelta(minutes=30))
    assert demo_only.id not in {e.item_id for e in recent} and len(recent) == 4
    assert len(audit.entries(limit=2)) == 2
    assert audit.knows_channel("fast") and not audit.knows_channel("gone")
