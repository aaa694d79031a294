"""The LinkedIn adapter's harness: httpx against the fake LinkedIn REST API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.server import FakeServer
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.linkedin import LinkedInAdapter

from ..harness import Harness, HarnessContext, harness


@harness("linkedin")
@contextmanager
def linkedin(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeLinkedIn(server, clock=ctx.clock, followers=2345)
        adapter = LinkedInAdapter(
            ChannelContext(
                "linkedin",
                # The contract's posts link to example.org: no page to read for a card offline.
                options={
                    "organization_id": fake.organization_id,
                    "api_base_url": server.url,
                    "link_cards": False,
                },
                secrets={"access_token": fake.token},
                data_dir=ctx.tmp_path,
                timeout_seconds=2.0,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "linkedin",
            adapter,
            remote_ids=lambda: [p.id for p in fake.posts],
            missing_id="urn:li:share:7000000000000000000",
            counters=frozenset({"likes", "replies"}),  # socialActions: likes and comments
            followers=2345,
            revoke=fake.revoke,
        )
        adapter.close()
