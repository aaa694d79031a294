"""Graph's errors through the Facebook adapter and the publisher, over real HTTP via
facebook-sdk: what pauses the channel (a refused version, code 3, the token), what waits and
tries again (368, the rate limits, Graph's own failures), what is refused for good, and whether
a failure may have posted (`maybe_posted`). Graph answers errors as its documented error object
(`graph_error`); the fake's own record (`fb.posts`, `server.log`) is the judge of what was
posted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import Ledger, SlotOutcome
from tests.conftest import FakeClock
from tests.fakes.facebook import LATEST, FakeFacebook, graph_error
from tests.fakes.server import FakeServer, Fault
from tests.network.adapters.conftest import HANG, slot_publisher
from tests.network.adapters.test_facebook import feed_posts, make, post
from xensocial.adapters.base import (
    AuthError,
    ChannelBlocked,
    RateLimited,
    Rejected,
    TransientError,
)
from xensocial.adapters.facebook import DEFAULT_GRAPH_VERSION, FacebookPageAdapter

SLOT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def fb(server: FakeServer, clock: FakeClock) -> FakeFacebook:
    return FakeFacebook(server, clock=clock)


@pytest.fixture
def adapter(
    server: FakeServer, fb: FakeFacebook, clock: FakeClock
) -> Iterator[FacebookPageAdapter]:
    a = make(server, fb, clock)
    yield a
    a.close()


POLICY_BLOCK = graph_error(
    368,
    "You recently posted something that violates Facebook policies, so you're temporarily "
    "blocked from using this feature.",
    subcode=1390008,
)


def usage(minutes: float) -> dict[str, str]:
    """The Page's business-use-case usage header, as Graph sends it with a throttling error."""
    entry = {"type": "pages", "call_count": 100, "total_cputime": 40, "total_time": 60}
    return {
        "x-business-use-case-usage": json.dumps(
            {"1029384756": [{**entry, "estimated_time_to_regain_access": minutes}]}
        )
    }


# -- versions ----------------------------------------------------------------------------------


def test_a_retired_version_pauses_naming_the_version_and_the_key(
    server: FakeServer, clock: FakeClock
) -> None:
    fb = FakeFacebook(server, clock=clock, retired={"v21.0"})
    adapter = make(server, fb, clock, graph_version="v21.0")
    with pytest.raises(ChannelBlocked) as caught:
        adapter.publish(post())
    assert not isinstance(caught.value, AuthError)  # a version, not the credentials
    reason = str(caught.value)
    assert "v21.0" in reason and "2635" in reason
    assert f'[channels.options] graph_version = "{DEFAULT_GRAPH_VERSION}"' in reason
    assert fb.posts == [] and len(server.log) == 1


def test_the_default_retired_names_the_key_and_says_upgrade(
    server: FakeServer, clock: FakeClock
) -> None:
    fb = FakeFacebook(server, clock=clock, retired={DEFAULT_GRAPH_VERSION})
    with pytest.raises(ChannelBlocked) as caught:
        make(server, fb, clock).verify()
    assert "[channels.options] graph_version" in str(caught.value)
    assert "upgrade xensocial" in str(caught.value) and LATEST in str(caught.value)


@pytest.mark.parametrize(
    ("error", "version_refused"),
    [
        (graph_error(12, "(#12) singular statuses API is deprecated for versions v2.4 and higher"), True),
        (graph_error(2500, "The API version v21.0 is no longer supported", type="GraphMethodException"), True),
        (graph_error(100, "(#100) Invalid parameter: version"), False),
    ],
)  # fmt: skip
def test_version_refusals_by_code_or_by_what_the_message_says(
    adapter: FacebookPageAdapter,
    server: FakeServer,
    error: dict[str, object],
    version_refused: bool,
) -> None:
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, error))
    with pytest.raises(ChannelBlocked if version_refused else Rejected) as caught:
        adapter.publish(post())
    assert ("graph_version" in str(caught.value)) is version_refused


def test_a_retired_version_pauses_the_channel_and_the_item_waits_for_resume(
    engine: Engine, clock: FakeClock, tmp_path: Path, server: FakeServer
) -> None:
    fb = FakeFacebook(server, clock=clock, retired={"v21.0"})
    old = make(server, fb, clock, graph_version="v21.0")
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, old, "fb", "facebook")
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.SKIPPED
    status = Ledger(engine, clock).status("fb")
    assert status.paused and "graph_version" in (status.pause_reason or "")
    delivery = queue.get(item).delivery("fb")
    assert delivery is not None and delivery.state == "pending"
    assert len(server.log) == 1  # one refused call; nothing retried in a loop
    # The operator removes graph_version and resumes: the same item goes out, once.
    Ledger(engine, clock).resume("fb")
    pub.adapters["fb"] = make(server, fb, clock)
    assert pub.run_slot(channel, SLOT + timedelta(hours=1)).outcome is SlotOutcome.PUBLISHED
    assert len(fb.posts) == 1 and len(feed_posts(server)) == 1


# -- policy blocks, capability, duplicates ------------------------------------------------------


def test_a_policy_block_is_transient_and_not_posted(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, POLICY_BLOCK))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert type(caught.value) is TransientError and not caught.value.maybe_posted
    assert "368/1390008" in str(caught.value) and fb.posts == []


def test_a_policy_block_then_success_posts_once_on_the_second_attempt(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    fb: FakeFacebook,
    adapter: FacebookPageAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "fb", "facebook")
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, POLICY_BLOCK))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    [created] = fb.posts
    delivery = queue.get(item).delivery("fb")
    assert delivery is not None and delivery.state == "published"
    assert delivery.remote_id == created.id
    assert len(feed_posts(server)) == 2  # refused, then made: one post
    assert server.requests("GET") == []  # "not posted" is known: no lookup was needed
    assert pub.sleep.waits == [2.0]  # the publisher's backoff, not a tight loop


def test_code_368_saying_duplicate_is_still_a_duplicate(
    adapter: FacebookPageAdapter, server: FakeServer
) -> None:
    message = "Duplicate post: this content was already posted"
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, graph_error(368, message)))
    with pytest.raises(Rejected) as caught:
        adapter.publish(post())
    assert caught.value.duplicate


CAPABILITY = graph_error(3, "(#3) Application does not have the capability to make this API call.")


def test_code_3_pauses_with_what_to_check(adapter: FacebookPageAdapter, server: FakeServer) -> None:
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, CAPABILITY))
    with pytest.raises(ChannelBlocked) as caught:
        adapter.publish(post())
    assert not isinstance(caught.value, AuthError)
    assert "capability" in str(caught.value) and "pages_manage_posts" in str(caught.value)


def test_code_3_pauses_the_channel_and_keeps_the_item(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    fb: FakeFacebook,
    adapter: FacebookPageAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "fb", "facebook")
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, CAPABILITY))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.SKIPPED
    status = Ledger(engine, clock).status("fb")
    assert status.paused and "capability" in (status.pause_reason or "")
    assert not (status.pause_reason or "").startswith("auth failed")
    delivery = queue.get(item).delivery("fb")
    assert delivery is not None and delivery.state == "pending"
    assert len(feed_posts(server)) == 1 and fb.posts == []


def test_duplicate_is_rejected_as_duplicate(adapter: FacebookPageAdapter, fb: FakeFacebook) -> None:
    adapter.publish(post())
    with pytest.raises(Rejected) as caught:
        adapter.publish(post())  # the fake, like Graph, refuses the same status twice
    assert caught.value.duplicate
    assert "506" in str(caught.value)
    assert len(fb.posts) == 1


def test_other_errors_are_rejected_not_duplicate(
    adapter: FacebookPageAdapter, server: FakeServer
) -> None:
    server.fault(
        "POST", FakeFacebook.FEED, Fault.respond(400, graph_error(100, "(#100) Invalid parameter"))
    )
    with pytest.raises(Rejected) as caught:
        adapter.publish(post())
    assert not caught.value.duplicate


# -- rate limits -------------------------------------------------------------------------------

LIMITS = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    341: "(#341) Application limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
}


@pytest.mark.parametrize("code", sorted(LIMITS))
def test_rate_limit_codes_give_the_reset_time(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer, clock: FakeClock, code: int
) -> None:
    error = graph_error(code, LIMITS[code])
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, error, usage(15)))
    with pytest.raises(RateLimited) as caught:
        adapter.publish(post())
    assert caught.value.reset_at == clock() + timedelta(minutes=15)
    assert not caught.value.maybe_posted and fb.posts == []


def test_the_page_usage_header_gives_the_reset_too(
    adapter: FacebookPageAdapter, server: FakeServer, clock: FakeClock
) -> None:
    page_usage = {"call_count": 100, "total_cputime": 12, "total_time": 9}
    header = {"x-page-usage": json.dumps({**page_usage, "estimated_time_to_regain_access": 7})}
    server.fault(
        "GET", FakeFacebook.OBJECT, Fault.respond(400, graph_error(32, LIMITS[32]), header)
    )
    with pytest.raises(RateLimited) as caught:
        adapter.fetch_followers()
    assert caught.value.reset_at == clock() + timedelta(minutes=7)


def test_app_rate_limit_without_a_reset_time(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault(
        "GET",
        FakeFacebook.OBJECT,
        Fault.respond(
            400,
            graph_error(4, LIMITS[4]),
            {"x-app-usage": json.dumps({"call_count": 100, "total_cputime": 20, "total_time": 25})},
        ),
    )
    with pytest.raises(RateLimited) as caught:
        adapter.fetch_followers()
    assert caught.value.reset_at is None  # x-app-usage says how much, never until when


def test_a_page_limit_is_waited_out_for_the_time_the_header_gives(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    fb: FakeFacebook,
    adapter: FacebookPageAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "fb", "facebook")
    error = graph_error(80001, LIMITS[80001])
    server.fault("POST", FakeFacebook.FEED, Fault.respond(400, error, usage(1)))
    assert pub.run_slot(channel, SLOT).outcome is SlotOutcome.PUBLISHED
    assert pub.sleep.waits == [60.0]  # one minute, as Graph said
    assert len(fb.posts) == 1 and len(feed_posts(server)) == 2


def test_a_long_page_limit_gives_the_slot_up_and_keeps_the_item(
    engine: Engine,
    clock: FakeClock,
    tmp_path: Path,
    server: FakeServer,
    fb: FakeFacebook,
    adapter: FacebookPageAdapter,
) -> None:
    queue, item, channel, pub = slot_publisher(engine, clock, tmp_path, adapter, "fb", "facebook")
    server.fault(
        "POST", FakeFacebook.FEED, Fault.respond(400, graph_error(32, LIMITS[32]), usage(15))
    )
    result = pub.run_slot(channel, SLOT)
    assert result.outcome is SlotOutcome.FAILED and "rate limited until" in (result.detail or "")
    delivery = queue.get(item).delivery("fb")
    assert delivery is not None and delivery.state == "pending"
    assert pub.sleep.waits == [] and len(feed_posts(server)) == 1 and fb.posts == []


# -- Graph's own failures, transport, tokens -----------------------------------------------------


def test_a_5xx_page_that_is_not_graph_json_is_transient_and_may_be_posted(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(500, b"<html>Internal Server Error</html>", {"Content-Type": "text/html"}),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert type(caught.value) is TransientError
    assert caught.value.maybe_posted
    assert "HTTP 500" in str(caught.value)


def test_service_unavailable_code_2_is_transient(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(
            503, graph_error(2, "Service temporarily unavailable", type="OAuthException")
        ),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert type(caught.value) is TransientError
    server.fault(
        "GET", FakeFacebook.OBJECT, Fault.respond(503, graph_error(1, "An unknown error occurred"))
    )
    with pytest.raises(TransientError) as read_error:
        adapter.fetch_followers()
    assert not read_error.value.maybe_posted  # a read posts nothing
    adapter.publish(post())  # and then it passes
    assert len(fb.posts) == 1


def test_read_timeout_is_transient_and_maybe_posted(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    server.fault("POST", FakeFacebook.FEED, Fault.hang(HANG))
    with pytest.raises(TransientError) as caught:
        adapter.publish(post())
    assert caught.value.maybe_posted
    assert "timeout" in str(caught.value)


def test_expired_token_is_an_auth_error(adapter: FacebookPageAdapter, fb: FakeFacebook) -> None:
    fb.revoke()
    with pytest.raises(AuthError, match="190/463"):
        adapter.publish(post())
    with pytest.raises(AuthError):
        adapter.verify()
    assert fb.posts == []


def test_an_error_object_sent_with_http_200_is_still_an_error(
    adapter: FacebookPageAdapter, fb: FakeFacebook, server: FakeServer
) -> None:
    # The library ignores the HTTP status; so must nothing in our mapping depend on it.
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(200, graph_error(190, "Invalid OAuth access token.")),
    )
    with pytest.raises(AuthError):
        adapter.publish(post())


def test_missing_permission_pauses_rather_than_rejects(
    adapter: FacebookPageAdapter, server: FakeServer
) -> None:
    server.fault(
        "POST",
        FakeFacebook.FEED,
        Fault.respond(
            400,
            graph_error(
                200, "(#200) The user hasn't authorized the application to perform this action"
            ),
        ),
    )
    with pytest.raises(AuthError):
        adapter.publish(post())
