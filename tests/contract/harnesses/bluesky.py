"""The Bluesky adapter's harness: the real atproto SDK against the fake PDS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.bluesky import FakeBluesky
from tests.fakes.server import FakeServer
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.bluesky import BlueskyAdapter

from ..harness import Harness, HarnessContext, harness


@harness("bluesky")
@contextmanager
def bluesky(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeBluesky(server, clock=ctx.clock, followers=654)
        adapter = BlueskyAdapter(
            ChannelContext(
                "bluesky",
                # The contract's posts link to example.org: no page to read for a card offline.
                options={"handle": fake.handle, "api_base_url": server.url, "link_cards": False},
                secrets={"app_password": fake.password},
                data_dir=ctx.tmp_path,
                timeout_seconds=2.0,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "bluesky",
            adapter,
            remote_ids=lambda: [p.uri for p in fake.posts],
            missing_id=f"at://{fake.did}/app.bsky.feed.post/3zzzzzzzzzzzz",
            counters=frozenset({"likes", "reposts", "replies", "quotes"}),
            followers=654,
            revoke=fake.revoke,
        )
        adapter.close()
