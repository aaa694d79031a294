"""A thread's parts survive SIGKILL: the daemon (`python -m xensocial run`, a real subprocess)
posts a three-part thread to a fake Mastodon over real HTTP through Mastodon.py; the fake holds
its answer to part 3, the daemon is killed while it waits, and a restarted daemon posts part 3
once and parts 1 and 2 never again, each reply answering the part before (docs/threads.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from tests.e2e.conftest import Site
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.server import FakeServer, Fault
from xensocial.migrate import upgrade

pytestmark = pytest.mark.e2e

CONFIG = """\
database_url = "sqlite:///queue.db"
timezone = "UTC"
log_format = "json"
identity = "e2e-host"

[publishing]
backoff = "100ms"
timeout = "2s"

[http]
listen = ""

[[channels]]
name = "masto"
network = "mastodon"
cron = "* * * * * *"
max_per_day = 10000

[channels.options]
api_base_url = "{url}"

[channels.secrets]
access_token = "env:XS_E2E_MASTODON_TOKEN"
"""
REPLIES = ("Two: what changed in 4.21.", "Three: how to upgrade.")


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as s:
        yield s


def add_thread(site: Site) -> int:
    engine = make_engine(f"sqlite:///{site.db}")
    try:
        upgrade(engine)
        new = NewItem(
            url="https://xenproject.org/blog/4-21",
            title="Xen 4.21 is out",
            channels=["masto"],
            replies=REPLIES,
        )
        return ContentQueue(engine).add(new).id
    finally:
        engine.dispose()


def test_sigkill_between_parts_two_and_three_posts_part_three_once_and_nothing_twice(
    site_factory: Callable[[str], Site], server: FakeServer
) -> None:
    masto = FakeMastodon(server)
    site = site_factory("0s")
    site.config.write_text(CONFIG.format(url=server.url))
    add_thread(site)
    env = {"XS_E2E_MASTODON_TOKEN": masto.token}
    # The post and part 2 are answered; part 3 reaches the fake, which holds it unanswered
    # (and never makes it): the daemon is killed while it waits.
    server.fault("POST", FakeMastodon.STATUSES, Fault.passes(), times=2)
    server.fault("POST", FakeMastodon.STATUSES, Fault.hang(30))
    first = site.start(extra_env=env)
    assert site.wait_for(
        lambda: len(server.requests("POST", FakeMastodon.STATUSES)) == 3, timeout=30
    ), site.logs()
    assert site.query("SELECT position, state FROM delivery_parts ORDER BY position") == [
        (0, "published"),
        (1, "published"),
        (2, "publishing"),  # begun, committed before the call: in doubt once killed
    ]
    first.kill()
    first.wait(10)
    assert [s.text for s in masto.statuses][1:] == [REPLIES[0]]

    site.start(extra_env=env)
    assert site.wait_for(lambda: site.delivery_states() == {"published": 1}, timeout=30), (
        site.logs()
    )
    texts = [s.text for s in masto.statuses]
    assert texts[1:] == list(REPLIES)  # part 2 once, part 3 once
    assert len(texts) == 3  # and the post once
    post, two, three = masto.statuses
    assert [s.in_reply_to_id for s in masto.statuses] == [None, post.id, two.id]
    assert site.query("SELECT position, state, remote_id FROM delivery_parts") == [
        (0, "published", post.id),
        (1, "published", two.id),
        (2, "published", three.id),
    ]
    assert len(server.requests("POST", FakeMastodon.STATUSES)) == 4  # only part 3 again
