"""A three-part thread through each real client library (tweepy, Mastodon.py, atproto, and
facebook-sdk and httpx for LinkedIn: the post and its first comments), over
real HTTP, against the fakes: the parts arrive in order, each replying to the one before with
the reference its network wants. The fakes' own records are the judge (docs/threads.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem, SlotOutcome
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps, make_channel, make_settings
from tests.fakes.bluesky import BskyPost, FakeBluesky
from tests.fakes.facebook import FakeFacebook
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FakeServer, Fault
from tests.fakes.x import CREDENTIALS, FakeX
from tests.network.adapters.conftest import HANG, TIMEOUT
from xensocial.adapters.base import Adapter, ChannelContext
from xensocial.adapters.bluesky import BlueskyAdapter
from xensocial.adapters.facebook import FacebookPageAdapter
from xensocial.adapters.linkedin import LinkedInAdapter
from xensocial.adapters.mastodon import MastodonAdapter
from xensocial.adapters.x import XAdapter
from xensocial.publishing import Publisher

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REPLIES = ("Two: what changed in 4.21.", "Three: how to upgrade.")


def context(name: str, clock: FakeClock, tmp_path: Path, **kw: object) -> ChannelContext:
    return ChannelContext(name, timeout_seconds=TIMEOUT, clock=clock, data_dir=tmp_path, **kw)  # type: ignore[arg-type]


def mastodon_adapter(
    server: FakeServer, masto: FakeMastodon, clock: FakeClock, tmp_path: Path
) -> MastodonAdapter:
    options = {"api_base_url": server.url}
    secrets = {"access_token": masto.token}
    return MastodonAdapter(context("chan", clock, tmp_path, options=options, secrets=secrets))


def facebook_adapter(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock, tmp_path: Path
) -> FacebookPageAdapter:
    options = {"page_id": fb.page_id, "api_base_url": server.url}
    secrets = {"access_token": fb.token}
    return FacebookPageAdapter(context("chan", clock, tmp_path, options=options, secrets=secrets))


def run_thread(
    engine: Engine, clock: FakeClock, tmp_path: Path, adapter: Adapter, network: str
) -> tuple[ContentQueue, int, Publisher]:
    queue = ContentQueue(engine, clock)
    item = queue.add(
        NewItem(
            url="https://xenproject.org/blog/4-21",
            title="Xen 4.21 is out",
            channels=["chan"],
            replies=REPLIES,
        )
    ).id
    pub = Publisher(
        Ledger(engine, clock),
        {"chan": adapter},
        make_settings(tmp_path, [make_channel("chan", network=network)]),
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
    )
    return queue, item, pub


def recorded_parts(engine: Engine, queue: ContentQueue, item: int) -> list[str | None]:
    delivery = queue.get(item).delivery("chan")
    assert delivery is not None and delivery.state == "published"
    parts = queue.item_thread(item).parts_on(delivery.id)  # as `queue show` reads them
    assert [p.state for p in parts] == ["published"] * 3
    assert parts[0].remote_id == delivery.remote_id
    return [p.remote_id for p in parts]


@pytest.fixture
def x_adapter(server: FakeServer, clock: FakeClock, tmp_path: Path) -> Iterator[XAdapter]:
    a = XAdapter(
        context("chan", clock, tmp_path, options={"api_base_url": server.url}, secrets=CREDENTIALS)
    )
    yield a
    a.close()


def test_a_thread_on_x_chains_in_reply_to_tweet_id(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer, x_adapter: XAdapter
) -> None:
    fake = FakeX(server, clock=clock)
    queue, item, pub = run_thread(engine, clock, tmp_path, x_adapter, "x")
    assert pub.run_slot(make_channel("chan", network="x"), SLOT).outcome is SlotOutcome.PUBLISHED
    first, second, third = fake.posts.values()
    assert [second.text, third.text] == list(REPLIES)
    assert (first.in_reply_to, second.in_reply_to, third.in_reply_to) == (None, first.id, second.id)
    assert recorded_parts(engine, queue, item) == [first.id, second.id, third.id]


def test_a_thread_on_mastodon_chains_in_reply_to_id(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer
) -> None:
    masto = FakeMastodon(server, clock=clock)
    adapter = mastodon_adapter(server, masto, clock, tmp_path)
    queue, item, pub = run_thread(engine, clock, tmp_path, adapter, "mastodon")
    assert pub.run_slot(make_channel("chan", network="mastodon"), SLOT).outcome is (
        SlotOutcome.PUBLISHED
    )
    first, second, third = masto.statuses
    assert [second.text, third.text] == list(REPLIES)
    assert [s.in_reply_to_id for s in masto.statuses] == [None, first.id, second.id]
    keys = [s.idempotency_key for s in masto.statuses]
    assert len(set(keys)) == 3  # each part under its own key
    assert recorded_parts(engine, queue, item) == [first.id, second.id, third.id]
    adapter.close()


def test_a_lost_answer_on_a_mastodon_reply_is_found_not_posted_twice(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer
) -> None:
    masto = FakeMastodon(server, clock=clock)
    adapter = mastodon_adapter(server, masto, clock, tmp_path)
    queue, item, pub = run_thread(engine, clock, tmp_path, adapter, "mastodon")
    # The post goes through; the first reply is made but its answer never arrives.
    server.fault("POST", FakeMastodon.STATUSES, Fault.passes())
    server.fault("POST", FakeMastodon.STATUSES, Fault.accept_then_lose(HANG))
    result = pub.run_slot(make_channel("chan", network="mastodon"), SLOT)
    assert result.outcome is SlotOutcome.PUBLISHED  # the post is out; the thread is held
    assert queue.get(item).delivery("chan").state == "publishing"  # type: ignore[union-attr]
    pub.reconcile()
    assert [s.text for s in masto.statuses][1:] == list(REPLIES)  # the reply once
    first, second, third = masto.statuses
    assert [s.in_reply_to_id for s in masto.statuses] == [None, first.id, second.id]
    assert recorded_parts(engine, queue, item) == [first.id, second.id, third.id]
    adapter.close()


def test_a_thread_on_bluesky_carries_root_and_parent_strong_refs(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer
) -> None:
    bsky = FakeBluesky(server, clock=clock)
    adapter = BlueskyAdapter(
        context(
            "chan",
            clock,
            tmp_path,
            options={"handle": bsky.handle, "api_base_url": server.url, "link_cards": False},
            secrets={"app_password": bsky.password},
        )
    )
    queue, item, pub = run_thread(engine, clock, tmp_path, adapter, "bluesky")
    assert pub.run_slot(make_channel("chan", network="bluesky"), SLOT).outcome is (
        SlotOutcome.PUBLISHED
    )
    first, second, third = bsky.posts
    assert [second.record["text"], third.record["text"]] == list(REPLIES)
    assert "reply" not in first.record
    root = {"uri": first.uri, "cid": first.cid}

    def refs(post: BskyPost) -> dict[str, dict[str, str]]:
        reply = post.record["reply"]
        return {k: {"uri": reply[k]["uri"], "cid": reply[k]["cid"]} for k in ("root", "parent")}

    assert refs(second) == {"root": root, "parent": root}
    assert refs(third) == {"root": root, "parent": {"uri": second.uri, "cid": second.cid}}
    assert recorded_parts(engine, queue, item) == [first.uri, second.uri, third.uri]
    adapter.close()


def test_a_thread_on_facebook_is_the_post_and_its_first_comments_in_order(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer
) -> None:
    fb = FakeFacebook(server, clock=clock)
    adapter = facebook_adapter(server, fb, clock, tmp_path)
    queue, item, pub = run_thread(engine, clock, tmp_path, adapter, "facebook")
    assert pub.run_slot(make_channel("chan", network="facebook"), SLOT).outcome is (
        SlotOutcome.PUBLISHED
    )
    [post] = fb.posts
    assert [(c.post_id, c.message) for c in fb.comments] == [(post.id, r) for r in REPLIES]
    assert recorded_parts(engine, queue, item) == [post.id, *(c.id for c in fb.comments)]
    adapter.close()


def test_a_lost_answer_on_a_facebook_comment_is_found_among_the_comments(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer
) -> None:
    fb = FakeFacebook(server, clock=clock)
    adapter = facebook_adapter(server, fb, clock, tmp_path)
    queue, item, pub = run_thread(engine, clock, tmp_path, adapter, "facebook")
    server.fault("POST", FakeFacebook.COMMENTS, Fault.accept_then_lose(HANG))
    assert pub.run_slot(make_channel("chan", network="facebook"), SLOT).outcome is (
        SlotOutcome.PUBLISHED
    )
    assert queue.get(item).delivery("chan").state == "publishing"  # type: ignore[union-attr]
    pub.reconcile()
    assert [c.message for c in fb.comments] == list(REPLIES)  # the first comment once
    [post] = fb.posts
    assert recorded_parts(engine, queue, item) == [post.id, *(c.id for c in fb.comments)]
    adapter.close()


def test_a_thread_on_linkedin_is_the_post_and_its_first_comments_in_order(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer
) -> None:
    li = FakeLinkedIn(server, clock=clock)
    adapter = LinkedInAdapter(
        context(
            "chan",
            clock,
            tmp_path,
            options={"api_base_url": server.url, "organization_id": li.organization_id,
                     "link_cards": False},
            secrets={"access_token": li.token},
        )
    )  # fmt: skip
    queue, item, pub = run_thread(engine, clock, tmp_path, adapter, "linkedin")
    assert pub.run_slot(make_channel("chan", network="linkedin"), SLOT).outcome is (
        SlotOutcome.PUBLISHED
    )
    [post] = li.posts
    assert [(c.post, c.actor, c.text) for c in li.comments] == [
        (post.id, li.urn, r) for r in REPLIES
    ]
    assert recorded_parts(engine, queue, item) == [post.id, *(c.urn for c in li.comments)]
    adapter.close()
