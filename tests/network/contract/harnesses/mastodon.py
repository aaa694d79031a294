"""The Mastodon adapter's harness: the real Mastodon.py against the fake instance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from tests.fakes.mastodon import FakeMastodon, rate_limited
from tests.fakes.server import FakeServer, Fault
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.mastodon import MastodonAdapter

from ..faults import TIMEOUT, on_fake_server
from ..harness import Harness, HarnessContext, harness


def _limited(reset: datetime) -> tuple[Fault, datetime | None]:
    """Mastodon's 429: `X-RateLimit-Reset` as an ISO 8601 time, to the millisecond."""
    return rate_limited(reset), reset.replace(microsecond=reset.microsecond // 1000 * 1000)


@harness("mastodon")
@contextmanager
def mastodon(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeMastodon(server, clock=ctx.clock, followers=765)  # honours Idempotency-Key
        adapter = MastodonAdapter(
            ChannelContext(
                "mastodon",
                options={"api_base_url": server.url},
                secrets={"access_token": fake.token},
                data_dir=ctx.tmp_path,
                timeout_seconds=TIMEOUT,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "mastodon",
            adapter,
            remote_ids=lambda: [s.id for s in fake.statuses],
            replied_to=lambda sid: next(
                (s.in_reply_to_id for s in fake.statuses if s.id == sid), None
            ),
            missing_id="999999",
            counters=frozenset({"likes", "reposts", "replies"}),  # favourites, reblogs, replies
            followers=765,
            fault=on_fake_server(
                server,
                ctx.clock,
                publish=("POST", FakeMastodon.STATUSES),
                lookup=("GET", FakeMastodon.ACCOUNT_STATUSES),
                rate_limited=_limited,
                server_error=Fault.respond(503, {"error": "Service Unavailable"}),
                revoke=fake.revoke,
            ),
        )
        adapter.close()
