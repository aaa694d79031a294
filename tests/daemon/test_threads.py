"""Threads: each part its own step of the exactly-once protocol (docs/threads.md).

Real database (SQLite and PostgreSQL), the real outbox adapter or the in-memory FakeNetwork,
a test clock. Each test checks what the network received and what the ledger recorded per part.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from structlog.testing import capture_logs

from content_queue import ContentQueue, Ledger, NewItem, SlotOutcome
from tests.conftest import FakeClock
from xensocial.adapters.base import ChannelContext, Rejected, TransientError
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.publishing import Publisher

from .conftest import FakeNetwork, PostedThenLost, Sleeps, make_channel, make_settings
from .test_publishing import SLOT, snapshot

REPLIES = ("Part two: what changed.", "Part three: how to upgrade.")


class ThreadNetwork(FakeNetwork):
    replies_as = "thread"


class Crash(Exception):
    """Stands for the process dying mid-call: nothing of ours catches it as a network error."""


@pytest.fixture
def queue(engine: Engine, clock: FakeClock) -> ContentQueue:
    return ContentQueue(engine, clock)


def add_thread(queue: ContentQueue, replies: tuple[str, ...] = REPLIES) -> int:
    new = NewItem(
        url="https://example.org/release", title="Xen 4.20", channels=["demo"], replies=replies
    )
    return queue.add(new).id


def make_publisher(engine: Engine, clock: FakeClock, tmp_path: Path, adapter: object) -> Publisher:
    settings = make_settings(tmp_path, [make_channel()])
    return Publisher(
        Ledger(engine, clock),
        {"demo": adapter},  # type: ignore[dict-item]
        settings,
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
    )


def parts(engine: Engine, queue: ContentQueue, item_id: int) -> list[tuple[int, str, str | None]]:
    delivery = queue.get(item_id).delivery("demo")
    assert delivery is not None
    found = queue.item_thread(item_id).parts_on(delivery.id)  # as `queue show` reads them
    return [(p.position, p.state, p.remote_id) for p in found]


def test_a_three_part_thread_goes_to_the_outbox_in_order_each_line_citing_its_parent(
    engine, clock, tmp_path, queue
):
    item = add_thread(queue)
    outbox = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    pub = make_publisher(engine, clock, tmp_path, outbox)
    assert pub.run_slot(make_channel(), SLOT).outcome is SlotOutcome.PUBLISHED
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["text"] for r in lines[1:]] == list(REPLIES)
    assert "in_reply_to" not in lines[0]
    assert [r["in_reply_to"] for r in lines[1:]] == [lines[0]["remote_id"], lines[1]["remote_id"]]
    assert {r["thread_root"] for r in lines[1:]} == {lines[0]["remote_id"]}
    delivery = queue.get(item).delivery("demo")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == lines[0]["remote_id"]  # the delivery is its post
    assert parts(engine, queue, item) == [
        (n, "published", r["remote_id"]) for n, r in enumerate(lines)
    ]


def test_a_crash_between_parts_resumes_at_the_next_part_and_never_reposts_one(
    engine, clock, tmp_path, queue
):
    item = add_thread(queue)
    net = ThreadNetwork(ChannelContext("demo", clock=clock), script=[None, None, Crash()])
    with pytest.raises(Crash):
        make_publisher(engine, clock, tmp_path, net).run_slot(make_channel(), SLOT)
    assert [p.text for p in net.posted][1:] == [REPLIES[0]]
    delivery = queue.get(item).delivery("demo")
    assert delivery is not None and delivery.state == "publishing"  # not done: part 3 is not out
    assert [s for _, s, _ in parts(engine, queue, item)] == ["published", "published", "publishing"]

    # A new process (same identity) starts: reconciliation resumes the thread at part 3.
    restarted = make_publisher(engine, clock, tmp_path, net)
    [done] = restarted.reconcile()
    assert done.action == "published", done
    assert [p.text for p in net.posted][1:] == list(REPLIES)  # part 2 once, part 3 once
    assert net.posted[0].reply_to is None
    chain = [p.reply_to.parent_id for p in net.posted[1:] if p.reply_to]
    assert chain == ["fake-1", "fake-2"]
    assert queue.get(item).delivery("demo").state == "published"  # type: ignore[union-attr]
    assert parts(engine, queue, item) == [
        (0, "published", "fake-1"),
        (1, "published", "fake-2"),
        (2, "published", "fake-3"),
    ]


def test_a_lost_answer_on_a_reply_is_looked_up_and_never_sent_twice(engine, clock, tmp_path, queue):
    item = add_thread(queue)
    net = ThreadNetwork(ChannelContext("demo", clock=clock), script=[None, PostedThenLost()])
    pub = make_publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(make_channel(), SLOT)
    assert result.outcome is SlotOutcome.PUBLISHED  # the post is out: the slot was used
    assert result.detail is not None and result.detail.startswith("post out; thread left: part 1")
    assert queue.get(item).delivery("demo").state == "publishing"  # type: ignore[union-attr]
    pub.reconcile()
    assert [p.text for p in net.posted][1:] == list(REPLIES)  # part 2 found, not sent again
    assert net.lookups == 1
    assert [s for _, s, _ in parts(engine, queue, item)] == ["published"] * 3


def test_a_refused_reply_ends_the_thread_and_the_post_stays_published(
    engine, clock, tmp_path, queue
):
    item = add_thread(queue)
    net = ThreadNetwork(ChannelContext("demo", clock=clock), script=[None, Rejected("spam")])
    pub = make_publisher(engine, clock, tmp_path, net)
    assert pub.run_slot(make_channel(), SLOT).outcome is SlotOutcome.PUBLISHED
    delivery = queue.get(item).delivery("demo")
    assert delivery is not None and delivery.state == "published"
    assert delivery.last_error is not None and "reply 1 refused" in delivery.last_error
    assert [p.text for p in net.posted] == [net.posted[0].text]  # part 3 never sent
    assert [s for _, s, _ in parts(engine, queue, item)] == ["published", "failed"]


def test_a_reply_that_never_reached_the_network_is_sent_at_the_next_pass(
    engine, clock, tmp_path, queue
):
    item = add_thread(queue)
    refused = TransientError("connection refused", maybe_posted=False)
    net = ThreadNetwork(ChannelContext("demo", clock=clock), script=[None, None, refused])
    pub = make_publisher(engine, clock, tmp_path, net)
    assert pub.run_slot(make_channel(), SLOT).outcome is SlotOutcome.PUBLISHED
    assert queue.get(item).delivery("demo").state == "publishing"  # type: ignore[union-attr]
    pub.reconcile()
    assert [p.text for p in net.posted][1:] == list(REPLIES)
    assert net.lookups == 0  # nothing was in doubt: no lookup needed
    assert queue.get(item).delivery("demo").state == "published"  # type: ignore[union-attr]


def test_the_link_in_the_first_reply_leaves_the_post_without_it(engine, clock, tmp_path, queue):
    new = NewItem(
        url="https://example.org/release",
        title="Xen 4.20",
        text="Out today.",
        channels=["demo"],
        replies=REPLIES,
        link_in_reply=True,
    )
    item = queue.add(new).id
    outbox = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    pub = make_publisher(engine, clock, tmp_path, outbox)
    assert pub.run_slot(make_channel(), SLOT).outcome is SlotOutcome.PUBLISHED
    post, first, second = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert "example.org" not in post["text"] and post["url"] == ""
    assert first["text"] == f"{REPLIES[0]}\n\nhttps://example.org/release"
    assert first["url"] == "https://example.org/release"
    assert second["text"] == REPLIES[1] and second["url"] == ""
    delivery = queue.get(item).delivery("demo")
    assert delivery is not None and delivery.posted is not None
    assert delivery.posted.url == "https://example.org/release"  # the link went out, in reply 1


def test_a_dry_run_logs_each_reply_as_it_would_be_sent_and_writes_nothing(
    engine, clock, tmp_path, queue
):
    add_thread(queue)
    net = ThreadNetwork(ChannelContext("demo", clock=clock))
    settings = make_settings(tmp_path, [make_channel()])
    dry = Publisher(
        Ledger(engine, clock),
        {"demo": net},
        settings,
        identity="host-a",
        clock=clock,
        dry_run=True,
        queue=queue,
    )
    before = snapshot(engine)
    with capture_logs() as logs:
        assert dry.run_slot(make_channel(), SLOT).detail == "dry run"
    replies = [(e["part"], e["text"]) for e in logs if e["event"] == "dry_run_would_reply"]
    assert replies == [(1, REPLIES[0]), (2, REPLIES[1])]
    assert net.posted == [] and snapshot(engine) == before
