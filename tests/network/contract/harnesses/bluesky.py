"""The Bluesky adapter's harness: the real atproto SDK against the fake PDS."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from tests.fakes.bluesky import FakeBluesky, rate_limited, xrpc_error
from tests.fakes.server import FakeServer, Fault
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.bluesky import BlueskyAdapter

from ..faults import TIMEOUT, on_fake_server
from ..harness import Harness, HarnessContext, harness


def _limited(reset: datetime) -> tuple[Fault, datetime | None]:
    """A PDS's 429: `ratelimit-reset` in whole epoch seconds."""
    return rate_limited(reset), datetime.fromtimestamp(int(reset.timestamp()), UTC)


_DOWN = xrpc_error(502, "UpstreamFailure", "Upstream service unreachable")


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
                timeout_seconds=TIMEOUT,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "bluesky",
            adapter,
            remote_ids=lambda: [p.uri for p in fake.posts],
            replied_to=lambda uri: next(
                (
                    p.record.get("reply", {}).get("parent", {}).get("uri")
                    for p in fake.posts
                    if p.uri == uri
                ),
                None,
            ),  # fmt: skip
            missing_id=f"at://{fake.did}/app.bsky.feed.post/3zzzzzzzzzzzz",
            counters=frozenset({"likes", "reposts", "replies", "quotes"}),
            followers=654,
            fault=on_fake_server(
                server,
                ctx.clock,
                publish=("POST", FakeBluesky.CREATE_RECORD),
                lookup=("GET", FakeBluesky.LIST_RECORDS),
                rate_limited=_limited,
                server_error=Fault.respond(_DOWN.status, _DOWN.body),
                revoke=fake.revoke,
            ),
            cannot={
                "duplicate": "Bluesky refuses no repeat and has no idempotency key: the PDS "
                "creates the same text twice; exactly-once rests on find_published, which "
                "matches the delivery key the record carries",
            },
        )
        adapter.close()
