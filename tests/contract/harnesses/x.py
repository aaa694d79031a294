"""The X adapter's harness: the real tweepy client against the fake X API (tests/fakes/x.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.server import FakeServer
from tests.fakes.x import CREDENTIALS, FakeX
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.x import XAdapter

from ..harness import COUNTERS, Harness, HarnessContext, harness


@harness("x")
@contextmanager
def x(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeX(server, clock=ctx.clock, followers=321)
        adapter = XAdapter(
            ChannelContext(
                "x",
                options={"api_base_url": server.url},
                secrets=CREDENTIALS,
                data_dir=ctx.tmp_path,
                timeout_seconds=2.0,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "x",
            adapter,
            remote_ids=lambda: list(fake.posts),
            missing_id="1234567890123456789",
            counters=COUNTERS,  # recent own posts: public, non-public and organic metrics
            followers=321,
            revoke=fake.revoke,
        )
        adapter.close()
