"""The LinkedIn adapter's harness: httpx against the fake LinkedIn REST API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from tests.fakes.linkedin import FakeLinkedIn, error, rate_limited
from tests.fakes.server import FakeServer, Fault
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.linkedin import LinkedInAdapter

from ..faults import TIMEOUT, RateLimitAnswer, on_fake_server
from ..harness import Harness, HarnessContext, harness


def _limiter(ctx: HarnessContext) -> RateLimitAnswer:
    def limited(reset: datetime) -> tuple[Fault, datetime | None]:
        """LinkedIn's 429, with `Retry-After` in whole seconds from now (when it sends one)."""
        seconds = int((reset - ctx.clock()).total_seconds())
        return rate_limited(str(seconds)), ctx.clock() + timedelta(seconds=seconds)

    return limited


@harness("linkedin")
@contextmanager
def linkedin(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeLinkedIn(server, clock=ctx.clock, followers=2345)  # refuses DUPLICATE_POST
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
                timeout_seconds=TIMEOUT,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "linkedin",
            adapter,
            remote_ids=lambda: [p.id for p in fake.posts],
            replied_to=lambda urn: next((c.post for c in fake.comments if c.urn == urn), None),
            missing_id="urn:li:share:7000000000000000000",
            counters=frozenset({"likes", "replies"}),  # socialActions: likes and comments
            followers=2345,
            fault=on_fake_server(
                server,
                ctx.clock,
                publish=("POST", FakeLinkedIn.POSTS),
                lookup=("GET", FakeLinkedIn.POSTS),
                rate_limited=_limiter(ctx),
                server_error=Fault.respond(
                    503, error(503, "SERVICE_UNAVAILABLE", "Service Unavailable")
                ),
                revoke=fake.revoke,
            ),
        )
        adapter.close()
