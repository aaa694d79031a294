"""Two publisher details: the link a post carries, and a duplicate rejection of our own post.

`Post.url` is the link as the channel posts it (UTM parameters added), so an adapter's link
field and its lookups by URL see the link that is in the text. A network that refuses a post as
a duplicate may be refusing the one an earlier attempt made (its answer lost): the publisher
looks it up and records it as published rather than failed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from content_queue import ContentQueue, Ledger, SlotOutcome
from tests.choosing import claim, next_candidate
from xensocial.adapters.base import ChannelContext, Post, Rejected, TransientError
from xensocial.adapters.outbox import OutboxAdapter
from xensocial.publishing import Publisher
from xensocial.reconcile import reconcile_in_flight

from .conftest import FakeNetwork, Sleeps, add_items, make_channel, make_settings

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
UTM = {"utm_source": "mastodon", "utm_medium": "social"}


def _publisher(engine, clock, tmp_path, adapter, **channel_kw):
    channel = make_channel(**channel_kw)
    pub = Publisher(
        Ledger(engine, clock),
        {"demo": adapter},
        make_settings(tmp_path, [channel]),
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
        queue=ContentQueue(engine, clock),
    )
    return pub, channel


def _delivery(queue: ContentQueue, item_id: int):
    d = queue.get(item_id).delivery("demo")
    assert d is not None
    return d


def test_the_posts_url_carries_the_channels_utm_parameters(engine, clock, tmp_path):
    queue = ContentQueue(engine, clock)
    [item] = add_items(queue, 1)
    outbox = OutboxAdapter(
        ChannelContext("demo", options={"path": "out.jsonl"}, data_dir=tmp_path, clock=clock)
    )
    pub, channel = _publisher(engine, clock, tmp_path, outbox, utm=UTM)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [line] = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    url = queue.get(item).url
    assert line["url"] == f"{url}?utm_source=mastodon&utm_medium=social"
    assert line["url"] in line["text"]  # the link field and the text name the same link


def test_reconciliation_looks_up_the_link_as_posted(engine, clock, tmp_path):
    queue = ContentQueue(engine, clock)
    [item] = add_items(queue, 1)
    net = FakeNetwork(ChannelContext("demo", data_dir=tmp_path, clock=clock))
    pub, channel = _publisher(engine, clock, tmp_path, net, utm=UTM)
    ledger = Ledger(engine, clock)
    candidate = next_candidate(ledger, "demo", clock())
    assert candidate is not None
    assert claim(
        ledger,
        candidate.delivery_id,
        "host-a",
        clock() + pub.settings.publishing.lease,
        channel="demo",
        now=clock(),
    )
    seen: list[Post] = []
    original = net.find_published

    def recording(post: Post, *, since: datetime):  # the network sees the lookup as sent
        seen.append(post)
        return original(post, since=since)

    net.find_published = recording  # type: ignore[method-assign]
    [done] = reconcile_in_flight(
        ledger, {"demo": net}, pub.settings, identity="host-a", now=clock()
    )
    assert done.action == "released"
    assert [p.url for p in seen] == [f"{queue.get(item).url}?utm_source=mastodon&utm_medium=social"]


def test_a_duplicate_of_our_own_earlier_post_is_recorded_as_published(engine, clock, tmp_path):
    queue = ContentQueue(engine, clock)
    [item] = add_items(queue, 1)
    net = FakeNetwork(
        ChannelContext("demo", data_dir=tmp_path, clock=clock),
        script=[Rejected("Status is a duplicate", duplicate=True)],
    )
    # An earlier attempt got the post out, and its answer never came back.
    key = _delivery(queue, item).idempotency_key
    net.posted.append(Post(key, "demo", item, "earlier", "https://example.org"))
    pub, channel = _publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(channel, SLOT)
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, item)
    d = _delivery(queue, item)
    assert (d.state, d.remote_id) == ("published", "fake-1")
    assert net.publish_calls == 1 and net.lookups == 1


def test_a_duplicate_not_found_fails_as_before(engine, clock, tmp_path):
    queue = ContentQueue(engine, clock)
    first, second = add_items(queue, 2)
    net = FakeNetwork(
        ChannelContext("demo", data_dir=tmp_path, clock=clock),
        script=[Rejected("duplicate content", duplicate=True)],
        lookup_script=[TransientError("search is down")],
    )
    pub, channel = _publisher(engine, clock, tmp_path, net)
    result = pub.run_slot(channel, SLOT)
    assert (result.outcome, result.item_id) == (SlotOutcome.PUBLISHED, second)
    d = _delivery(queue, first)
    assert d.state == "failed" and "duplicate content" in (d.last_error or "")
    assert net.lookups == 1


def test_a_rejection_that_is_not_a_duplicate_is_not_looked_up(engine, clock, tmp_path):
    queue = ContentQueue(engine, clock)
    [item] = add_items(queue, 1)
    net = FakeNetwork(
        ChannelContext("demo", data_dir=tmp_path, clock=clock), script=[Rejected("too long")]
    )
    pub, channel = _publisher(engine, clock, tmp_path, net)
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.FAILED
    assert _delivery(queue, item).state == "failed" and net.lookups == 0
