"""X's pay-per-use refusals through the real tweepy Client, over real HTTP, against the fake X.

A 402 (no credits left) and a usage-capped 429 are not failures of one request: X refuses
everything until a person pays or the cap resets. Each must pause the channel with a plain
reason, after exactly one request for the post, leave the item queued (never `unknown`), and let
`xensocial channels resume` bring the channel back. The fake answers with the bodies X sends
(tests/fakes/x_billing.py); the fake's own request log counts what was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import Ledger, SlotOutcome
from tests.cli.conftest import CliHarness
from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Fault
from tests.fakes.x import CREDENTIALS, FakeX, rate_limited
from tests.fakes.x_billing import payment_required, usage_capped
from tests.network.adapters.conftest import slot_publisher
from xensocial.adapters.base import (
    AuthError,
    ChannelBlocked,
    ChannelContext,
    Post,
    RateLimited,
)
from xensocial.adapters.x import XAdapter

CHANNEL = "x-main"
SINCE = timedelta(minutes=5)
REFUSALS = {
    "402 CreditsDepleted": (lambda: payment_required("credits"), "out of X credits: "),
    "402 credits-depleted": (lambda: payment_required("credits-depleted"), "out of X credits: "),
    "429 monthly usage cap": (lambda: usage_capped(), "monthly usage cap reached: "),
}


@pytest.fixture
def fake_x(server: FakeServer, clock: FakeClock) -> FakeX:
    return FakeX(server, clock=clock)


def make_adapter(server: FakeServer, clock: FakeClock) -> XAdapter:
    return XAdapter(
        ChannelContext(
            CHANNEL,
            options={"api_base_url": server.url},
            secrets=CREDENTIALS,
            timeout_seconds=2.0,
            clock=clock,
        )
    )


@pytest.fixture
def adapter(server: FakeServer, clock: FakeClock, fake_x: FakeX) -> Iterator[XAdapter]:
    a = make_adapter(server, clock)
    yield a
    a.close()


def post(n: int = 1) -> Post:
    url = f"https://example.org/news/{n}"
    return Post(key=f"key-{n}", channel=CHANNEL, item_id=n, text=f"News {n} {url}", url=url)


def posts_sent(server: FakeServer) -> int:
    return len(server.requests("POST", "/2/tweets"))


# -- the adapter -------------------------------------------------------------------------------


@pytest.mark.parametrize("refusal", REFUSALS, ids=list(REFUSALS))
def test_a_post_refused_for_money_blocks_the_channel(adapter, server, fake_x, refusal):
    fault, reason = REFUSALS[refusal]
    server.fault("POST", "/2/tweets", fault())
    with pytest.raises(ChannelBlocked) as caught:
        adapter.publish(post(1))
    error = caught.value
    assert type(error) is ChannelBlocked  # not an AuthError: the credentials are fine
    assert str(error).startswith(reason)
    assert f"xensocial channels resume {CHANNEL}" in str(error)  # what to do, said plainly
    assert "console.x.com" in str(error)
    assert not getattr(error, "maybe_posted", False)  # X created nothing
    assert posts_sent(server) == 1 and fake_x.posts == {}
    assert fake_x.bill.charged == {}  # and charged nothing


def test_the_reason_quotes_what_x_said(adapter, server):
    server.fault("POST", "/2/tweets", payment_required("credits"))
    with pytest.raises(ChannelBlocked, match=r"does not have any credits to fulfill"):
        adapter.publish(post(1))
    server.fault("POST", "/2/tweets", usage_capped(period="Daily", scope="Account"))
    with pytest.raises(ChannelBlocked) as caught:
        adapter.publish(post(2))
    assert str(caught.value).startswith("daily usage cap reached: ")
    assert "Usage cap exceeded: Daily account cap" in str(caught.value)


def test_what_x_said_is_quoted_on_one_short_line(adapter, server):
    body = {"title": "CreditsDepleted", "detail": "no\ncredits\x1b[31m" + "!" * 500}
    server.fault("POST", "/2/tweets", Fault.respond(402, body))
    with pytest.raises(ChannelBlocked) as caught:
        adapter.publish(post(1))
    reason = str(caught.value)
    assert "(no credits [31m" in reason and "\n" not in reason and "\x1b" not in reason
    said = reason.split("got 402 (", 1)[1].split("); X did nothing", 1)[0]
    assert len(said) == 200 and said.endswith("!…")  # X's words, cut to 200 characters


def test_a_usage_cap_ignores_the_rate_limit_reset_header(adapter, server, clock):
    # X sends x-rate-limit-reset beside the cap: waiting for it would retry in vain.
    soon = clock() + timedelta(seconds=30)
    server.fault("POST", "/2/tweets", usage_capped(reset_at=soon))
    with pytest.raises(ChannelBlocked) as caught:
        adapter.publish(post(1))
    assert not isinstance(caught.value, RateLimited)


def test_an_ordinary_429_is_still_a_rate_limit(adapter, server, clock):
    reset = clock() + timedelta(minutes=15)
    server.fault("POST", "/2/tweets", rate_limited(reset))
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post(1))
    assert caught.value.reset_at == reset.replace(microsecond=0)


@pytest.mark.parametrize("refusal", REFUSALS, ids=list(REFUSALS))
def test_reads_refused_for_money_block_too(adapter, fake_x, clock, refusal):
    fault, reason = REFUSALS[refusal]
    mine = fake_x.add_post("Mine https://example.org/news/1", clock() - timedelta(hours=2))
    fake_x.blocked = fault()
    calls = {
        "engagement": lambda: adapter.fetch_engagement([mine.id]),
        "followers": adapter.fetch_followers,
        "verify": adapter.verify,
        "lookup": lambda: adapter.find_published(post(1), since=clock() - SINCE),
        "counts": lambda: adapter.count_recent_posts(
            '"Xen"', start=clock() - timedelta(days=2), end=clock() - timedelta(days=1)
        ),
    }
    for name, call in calls.items():
        with pytest.raises(ChannelBlocked) as caught:
            call()
        assert str(caught.value).startswith(reason), name
        assert not isinstance(caught.value, AuthError), name
    fake_x.blocked = None  # credits bought
    [reading] = adapter.fetch_engagement([mine.id])
    assert reading.remote_id == mine.id


# -- through the publisher, and `channels resume` ----------------------------------------------


def cli_for(tmp_path: Path, engine: Engine, server: FakeServer, clock: FakeClock) -> CliHarness:
    """The CLI on the test's database, with the channel the publisher posts to."""
    url = engine.url.render_as_string(hide_password=False)
    config = tmp_path / "xensocial.toml"
    config.write_text(
        f'database_url = "{url}"\ndata_dir = "{tmp_path / "data"}"\n'
        "[intake]\nfetch_link_details = false\n"
        f'[[channels]]\nname = "{CHANNEL}"\nnetwork = "x"\nslots = ["09:30"]\n'
        f'[channels.options]\napi_base_url = "{server.url}"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    return CliHarness(config, tmp_path / "unused.db", clock)


@pytest.mark.parametrize("refusal", REFUSALS, ids=list(REFUSALS))
def test_a_slot_refused_for_money_pauses_once_then_resume_posts_it(
    engine: Engine, clock: FakeClock, tmp_path: Path, server, fake_x, refusal
):
    fault, reason = REFUSALS[refusal]
    queue, item, channel, pub = slot_publisher(
        engine, clock, tmp_path, make_adapter(server, clock), CHANNEL, "x"
    )
    fake_x.blocked = fault()  # X refuses everything until someone pays

    first = pub.run_slot(channel, datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert (first.outcome, first.item_id) == (SlotOutcome.SKIPPED, item)
    assert (first.detail or "").startswith(reason)
    assert posts_sent(server) == 1  # exactly one request for the post: no retry, no lookup
    assert len(server.log) == 1
    assert pub.sleep.waits == []  # type: ignore[attr-defined]  # no backoff either
    delivery = queue.get(item).delivery(CHANNEL)
    assert delivery is not None and delivery.state == "pending"  # still queued, not unknown
    status = Ledger(engine, clock).status(CHANNEL)
    assert status.paused and (status.pause_reason or "").startswith(reason)

    cli = cli_for(tmp_path, engine, server, clock)
    [row] = cli.json("channels", "list")
    assert row["paused"] and row["pause_reason"] == status.pause_reason
    assert row["pending"] == 1
    assert f"paused ({reason}" in cli.ok("channels", "list").stdout

    clock.advance(days=1)  # while paused, slots pass without asking X anything
    second = pub.run_slot(channel, datetime(2026, 3, 3, 9, 30, tzinfo=UTC))
    assert second.outcome is SlotOutcome.SKIPPED
    assert (second.detail or "").startswith(f"paused: {reason}")
    assert len(server.log) == 1

    fake_x.blocked = None  # a person bought credits (or the cap reset) ...
    assert cli.ok("channels", "resume", CHANNEL).stdout.strip() == f"Resumed {CHANNEL}."
    clock.advance(days=1)  # ... and the next slot posts the item that waited
    third = pub.run_slot(channel, datetime(2026, 3, 4, 9, 30, tzinfo=UTC))
    assert (third.outcome, third.item_id) == (SlotOutcome.PUBLISHED, item)
    [created] = fake_x.posts.values()
    delivery = queue.get(item).delivery(CHANNEL)
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == created.id
    assert posts_sent(server) == 2
    assert fake_x.bill.charged == {"Post: Create (with URL)": 1}
