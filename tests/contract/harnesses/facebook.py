"""The Facebook Page adapter's harness: the real facebook-sdk against the fake Graph API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.facebook import FakeFacebook
from tests.fakes.server import FakeServer
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.facebook import FacebookPageAdapter

from ..harness import Harness, HarnessContext, harness


@harness("facebook")
@contextmanager
def facebook(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeFacebook(server, clock=ctx.clock, followers=654)
        adapter = FacebookPageAdapter(
            ChannelContext(
                "facebook",
                options={"page_id": fake.page_id, "api_base_url": server.url},
                secrets={"access_token": fake.token},
                data_dir=ctx.tmp_path,
                timeout_seconds=2.0,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "facebook",
            adapter,
            remote_ids=lambda: [p.id for p in fake.posts],
            missing_id=f"{fake.page_id}_999",
            # reactions, shares, comments, and views (post_total_media_view_unique) as impressions
            counters=frozenset({"likes", "reposts", "replies", "impressions"}),
            followers=654,
            revoke=fake.revoke,
        )
        adapter.close()
