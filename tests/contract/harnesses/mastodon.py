"""The Mastodon adapter's harness: the real Mastodon.py against the fake instance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FakeServer
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.mastodon import MastodonAdapter

from ..harness import Harness, HarnessContext, harness


@harness("mastodon")
@contextmanager
def mastodon(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeMastodon(server, clock=ctx.clock, followers=765)
        adapter = MastodonAdapter(
            ChannelContext(
                "mastodon",
                options={"api_base_url": server.url},
                secrets={"access_token": fake.token},
                data_dir=ctx.tmp_path,
                timeout_seconds=2.0,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "mastodon",
            adapter,
            remote_ids=lambda: [s.id for s in fake.statuses],
            missing_id="999999",
            counters=frozenset({"likes", "reposts", "replies"}),  # favourites, reblogs, replies
            followers=765,
            revoke=fake.revoke,
        )
        adapter.close()
