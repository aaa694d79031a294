"""LinkedIn's lookup (`find_published`), over real HTTP against the fake REST API: how it asks
the author finder, what it counts as the same post, how far back it pages, and when it gives up
rather than answer "not found" without having looked.

Apart from `test_linkedin.py` because the lookup is its own question: what the publisher may
believe after a lost answer (see `lookup_is_reliable` in the adapter's docstring).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FakeClock
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.server import FakeServer
from tests.network.adapters.linkedin_rig import adapter, li, post
from xensocial.adapters.base import TransientError
from xensocial.adapters.linkedin import LinkedInAdapter

__all__ = ["adapter", "li"]  # fixtures, from the rig


def test_find_published_asks_the_author_finder(
    adapter: LinkedInAdapter, li: FakeLinkedIn, server: FakeServer, clock: FakeClock
) -> None:
    adapter.publish(post(1))
    assert adapter.find_published(post(2), since=clock() - timedelta(hours=1)) is None
    (request,) = server.requests("GET", FakeLinkedIn.POSTS)
    assert "author=urn%3Ali%3Aorganization%3A2414183" in request.query_string
    assert request.arg("q") == "author"
    assert request.arg("sortBy") == "LAST_MODIFIED"
    assert request.arg("count") == "50"


def test_find_published_matches_whole_links_only(
    adapter: LinkedInAdapter, clock: FakeClock
) -> None:
    adapter.publish(post(15))
    assert adapter.find_published(post(1), since=clock() - timedelta(hours=1)) is None


def test_find_published_matches_the_commentary_when_there_is_no_link(
    adapter: LinkedInAdapter, li: FakeLinkedIn, clock: FakeClock
) -> None:
    plain = post(9, text="Meetup <tonight> & (more) #xen", url="")
    adapter.publish(plain)
    found = adapter.find_published(plain, since=clock() - timedelta(hours=1))
    assert found is not None and found.remote_id == li.posts[0].id


def test_find_published_ignores_a_post_older_than_since(
    adapter: LinkedInAdapter, li: FakeLinkedIn, clock: FakeClock
) -> None:
    adapter.publish(post(1))  # the same link, posted long before this delivery began
    clock.advance(days=30)
    assert adapter.find_published(post(1, text="Again"), since=clock()) is None


def test_find_published_pages_back_then_stops_at_since(
    adapter: LinkedInAdapter, li: FakeLinkedIn, server: FakeServer, clock: FakeClock
) -> None:
    start = clock()
    adapter.publish(post(1))
    for n in range(2, 120):  # the one we look for is on the third page of 50
        clock.advance(seconds=10)
        adapter.publish(post(n))
    found = adapter.find_published(post(1), since=start)
    assert found is not None and found.remote_id == li.posts[0].id
    assert found.published_at == start
    pages = server.requests("GET", FakeLinkedIn.POSTS)
    assert [p.arg("start") for p in pages] == ["0", "50", "100"]
    assert adapter.find_published(post(1), since=clock() - timedelta(seconds=30)) is None
    assert len(server.requests("GET", FakeLinkedIn.POSTS)) == 4  # one page reaches past since


def test_find_published_gives_up_rather_than_guess_past_its_pages(
    adapter: LinkedInAdapter, li: FakeLinkedIn, clock: FakeClock
) -> None:
    start = clock()
    for n in range(1, 302):
        adapter.publish(post(n))
        clock.advance(seconds=1)
    with pytest.raises(TransientError, match="cannot tell"):
        adapter.find_published(post(999), since=start)
