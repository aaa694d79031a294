"""The Facebook Page adapter's harness: the real facebook-sdk against the fake Graph API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from tests.fakes.facebook import FakeFacebook, graph_error
from tests.fakes.server import FakeServer, Fault
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.facebook import FacebookPageAdapter

from ..faults import TIMEOUT, RateLimitAnswer, on_fake_server
from ..harness import Harness, HarnessContext, harness


def _limiter(ctx: HarnessContext, page_id: str) -> RateLimitAnswer:
    def limited(reset: datetime) -> tuple[Fault, datetime | None]:
        """Graph's Page limit (code 32, HTTP 400) with the business-use-case usage header,
        whose `estimated_time_to_regain_access` is in whole minutes from now."""
        minutes = int((reset - ctx.clock()).total_seconds() // 60)
        usage = {"type": "pages", "call_count": 100, "total_cputime": 40, "total_time": 60}
        header = json.dumps({page_id: [{**usage, "estimated_time_to_regain_access": minutes}]})
        answer = Fault.respond(
            400,
            graph_error(32, "(#32) Page request limit reached"),
            {"x-business-use-case-usage": header},
        )
        return answer, ctx.clock() + timedelta(minutes=minutes)

    return limited


@harness("facebook")
@contextmanager
def facebook(ctx: HarnessContext) -> Iterator[Harness]:
    with FakeServer() as server:
        fake = FakeFacebook(server, clock=ctx.clock, followers=654)  # refuses a repeat (506)
        adapter = FacebookPageAdapter(
            ChannelContext(
                "facebook",
                options={"page_id": fake.page_id, "api_base_url": server.url},
                secrets={"access_token": fake.token},
                data_dir=ctx.tmp_path,
                timeout_seconds=TIMEOUT,
                clock=ctx.clock,
            )
        )
        yield Harness(
            "facebook",
            adapter,
            remote_ids=lambda: [p.id for p in fake.posts],
            replied_to=lambda cid: next((c.post_id for c in fake.comments if c.id == cid), None),
            missing_id=f"{fake.page_id}_999",
            # reactions, shares, comments, and views (post_total_media_view_unique) as impressions
            counters=frozenset({"likes", "reposts", "replies", "impressions"}),
            followers=654,
            fault=on_fake_server(
                server,
                ctx.clock,
                publish=("POST", FakeFacebook.FEED),
                lookup=("GET", FakeFacebook.POSTS),
                rate_limited=_limiter(ctx, fake.page_id),
                server_error=Fault.respond(503, graph_error(2, "Service temporarily unavailable")),
                revoke=fake.revoke,
            ),
        )
        adapter.close()
