"""A post in doubt on X settles itself: found on a later read, or released once the settle
period has passed and two reads found nothing; only a timeline that cannot be read needs a
person (issue 14, item 6; the rule is `xensocial/in_doubt.py`).

The real X adapter (tweepy over real HTTP) against the fake X, whose timeline is eventually
consistent (`timeline_lag`: a post shows only two minutes after it was made), on both
databases. The fake clock drives the fake X, the adapter, the ledger and the publisher, so
"five minutes later" is a moved clock, not a sleep. The fake X's own posts are the judge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, SlotOutcome
from tests.choosing import claim
from tests.conftest import FakeClock
from tests.daemon.conftest import Sleeps, add_items, make_channel, make_settings
from tests.fakes.server import FakeServer, Fault
from tests.fakes.x import CREDENTIALS, FakeX, server_error
from xensocial.adapters.base import ChannelContext
from xensocial.adapters.x import XAdapter
from xensocial.config import ChannelConfig
from xensocial.publishing import Publisher
from xensocial.rendering import make_post

LAG = timedelta(minutes=2)  # how long the fake X's timeline takes to show a new post
CREATE = ("POST", "/2/tweets")
TIMELINE = ("GET", "/2/users/:id/tweets")


@dataclass
class Desk:
    clock: FakeClock
    fake: FakeX
    server: FakeServer
    queue: ContentQueue
    ledger: Ledger
    adapter: XAdapter
    channel: ChannelConfig
    publisher: Publisher
    item: int

    def slot(self) -> SlotOutcome | None:
        """The channel's slot now (each call a new slot time)."""
        return self.publisher.run_slot(self.channel, self.clock()).outcome

    def state(self) -> str:
        delivery = self.queue.get(self.item).delivery("x")
        assert delivery is not None
        return delivery.state

    def posts(self) -> int:
        """Posts the fake X holds: the judge."""
        return len(self.fake.posts)


@pytest.fixture
def desk(engine: Engine, server: FakeServer, clock: FakeClock, tmp_path: Path) -> Iterator[Desk]:
    fake = FakeX(server, clock=clock, timeline_lag=LAG)
    adapter = XAdapter(
        ChannelContext(
            "x",
            options={"api_base_url": server.url},
            secrets=CREDENTIALS,
            timeout_seconds=2.0,
            clock=clock,
        )
    )
    queue = ContentQueue(engine, clock)
    [item] = add_items(queue, 1, channels=("x",))
    channel = make_channel("x", network="x")
    ledger = Ledger(engine, clock)
    publisher = Publisher(
        ledger,
        {"x": adapter},
        make_settings(tmp_path, [channel]),  # settle: the default 5 minutes
        identity="host-a",
        clock=clock,
        sleep=Sleeps(),
    )
    yield Desk(clock, fake, server, queue, ledger, adapter, channel, publisher, item)
    adapter.close()


def test_a_lost_answer_found_on_a_later_read_is_published_not_sent_again(desk: Desk) -> None:
    desk.server.fault(*CREATE, Fault.accept_then_lose())  # X makes the post, the answer is lost
    assert desk.slot() is SlotOutcome.FAILED
    # The retry looked first: not in the timeline yet. Too early to believe: still in doubt.
    assert (desk.posts(), desk.state()) == (1, "publishing")
    desk.clock.advance(LAG + timedelta(seconds=1))
    desk.slot()  # the next slot asks again before anything else: found
    assert (desk.posts(), desk.state()) == (1, "published")
    assert len(desk.server.requests(*CREATE)) == 1  # never sent a second time


def test_a_post_never_made_is_released_after_the_settle_period_and_posted_once(
    desk: Desk,
) -> None:
    desk.server.fault(*CREATE, server_error(503))  # may have posted (X made nothing)
    assert desk.slot() is SlotOutcome.FAILED
    assert (desk.posts(), desk.state()) == (0, "publishing")
    for _ in range(4):  # read after read within the settle period: never released
        desk.clock.advance(minutes=1)
        desk.slot()
        assert (desk.posts(), desk.state()) == (0, "publishing")
    timeline = f"/2/users/{desk.fake.user_id}/tweets"
    assert len(desk.server.requests("GET", timeline)) == 5  # one read per slot
    desk.clock.advance(minutes=1, seconds=1)  # the settle period has passed since the attempt
    assert desk.slot() is SlotOutcome.PUBLISHED  # released, and posted at that very slot
    assert (desk.posts(), desk.state()) == (1, "published")
    assert len(desk.server.requests(*CREATE)) == 2  # the failed try and the one post


def test_one_read_past_the_settle_period_is_not_enough(desk: Desk) -> None:
    """A replica died mid-post long ago: its successor still reads twice before posting."""
    delivery = desk.queue.get(desk.item).delivery("x")
    assert delivery is not None
    lease = desk.clock() + timedelta(minutes=5)
    assert (
        claim(desk.ledger, delivery.id, "host-dead", lease, channel="x", now=desk.clock())
        is not None
    )
    desk.clock.advance(hours=1)  # its lease long expired, the attempt long settled
    [done] = desk.publisher.reconcile()
    assert (done.action, done.held, desk.state()) == ("waiting", True, "publishing")
    assert desk.slot() is SlotOutcome.PUBLISHED  # second read: released, posted once
    assert (desk.posts(), desk.state()) == (1, "published")


def test_a_post_made_before_a_crash_is_found_once_the_timeline_shows_it(desk: Desk) -> None:
    delivery = desk.queue.get(desk.item).delivery("x")
    assert delivery is not None
    began = claim(
        desk.ledger,
        delivery.id,
        "host-a",
        desk.clock() + timedelta(minutes=5),
        channel="x",
        now=desk.clock(),
    )
    assert began is not None
    desk.adapter.publish(make_post(desk.channel, desk.adapter, *began))  # ...and the crash
    [done] = desk.publisher.reconcile()  # the restart, at once: the timeline lags
    assert (done.action, desk.state()) == ("waiting", "publishing")
    desk.clock.advance(minutes=1)
    desk.slot()
    assert desk.state() == "publishing"
    desk.clock.advance(minutes=10)  # past the settle period, but the post now shows: found
    desk.slot()
    assert (desk.posts(), desk.state()) == (1, "published")


def test_a_timeline_the_access_tier_cannot_read_goes_to_a_person(desk: Desk) -> None:
    desk.server.fault(*CREATE, server_error(503))
    tier = {"title": "Forbidden", "detail": "client-not-enrolled", "status": 403}
    desk.server.fault(*TIMELINE, Fault.respond(403, tier))
    assert desk.slot() is SlotOutcome.FAILED
    delivery = desk.queue.get(desk.item).delivery("x")
    assert delivery is not None and delivery.state == "unknown"
    assert "403" in (delivery.last_error or "")
    assert not desk.ledger.status("x").paused  # the channel posts on; only this waits
    desk.clock.advance(minutes=10)
    desk.slot()
    assert (desk.posts(), desk.state()) == (0, "unknown")  # never sent on a guess
