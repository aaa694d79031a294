"""The X adapter's harness: the real tweepy client against the fake X API (tests/fakes/x.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from tests.fakes.server import FakeServer, Fault
from tests.fakes.x import CREDENTIALS, FakeX, rate_limited, server_error
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.x import XAdapter

from ..faults import TIMEOUT, on_fake_server
from ..harness import COUNTERS, Harness, HarnessContext, harness


def _limited(reset: datetime) -> tuple[Fault, datetime | None]:
    """X's 429: `x-rate-limit-reset` in whole epoch seconds."""
    return rate_limited(reset), datetime.fromtimestamp(int(reset.timestamp()), UTC)


@harness("x")
@contextmanager
def x(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeX(server, clock=ctx.clock, followers=321)  # refuses repeated text, as X does
        adapter = XAdapter(
            ChannelContext(
                "x",
                options={"api_base_url": server.url},
                secrets=CREDENTIALS,
                data_dir=ctx.tmp_path,
                timeout_seconds=TIMEOUT,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "x",
            adapter,
            remote_ids=lambda: list(fake.posts),
            replied_to=lambda pid: fake.posts[pid].in_reply_to if pid in fake.posts else None,
            missing_id="1234567890123456789",
            counters=COUNTERS,  # recent own posts: public, non-public and organic metrics
            followers=321,
            fault=on_fake_server(
                server,
                ctx.clock,
                publish=("POST", "/2/tweets"),
                lookup=("GET", "/2/users/:id/tweets"),
                rate_limited=_limited,
                server_error=server_error(503),
                revoke=fake.revoke,
            ),
        )
        adapter.close()
