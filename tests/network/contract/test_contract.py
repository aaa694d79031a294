"""The adapter contract (`xensocial.adapters.base.Adapter`), run against every adapter.

Each test runs once per harness (`harness.py`: the built-ins, plus third-party adapters named
by $XENSOCIAL_CONTRACT_HARNESS). What the network holds is read from its fake, never through
the adapter under test, so an adapter cannot pass by agreeing with itself. Its failures (rate
limits, 5xx, timeouts, refused connections, repeats, lost answers, revoked credentials) are
`test_faults.py`'s.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import pytest

from tests.conftest import FakeClock
from xensocial.adapters.base import (
    AccountInfo,
    Engagement,
    Post,
    PublishResult,
    ReplyTo,
    TextLimits,
)
from xensocial.adapters.registry import available, load

from .harness import COUNTERS, Harness

SINCE = timedelta(minutes=5)


def make_post(h: Harness, n: int) -> Post:
    url = f"https://example.org/contract/{n}"
    return Post(
        key=f"contract-key-{n}",
        channel=h.adapter.context.name,
        item_id=n,
        text=f"Contract post {n} {url}",
        url=url,
        title=f"Contract post {n}",
    )


def test_name_matches_the_registry(contract: Harness) -> None:
    cls = type(contract.adapter)
    assert cls.name == contract.name
    assert contract.name in available(), (
        f"no entry point {contract.name!r} in the xensocial.adapters group: register "
        f"{cls.__module__}:{cls.__qualname__} in pyproject.toml and reinstall"
    )
    assert load(contract.name) is cls


def test_limits_are_set(contract: Harness) -> None:
    limits = type(contract.adapter).limits
    assert isinstance(limits, TextLimits)
    assert limits.max_length > 0
    assert limits.url_length is None or 0 < limits.url_length <= limits.max_length
    assert limits.max_bytes is None or limits.max_bytes > 0
    assert isinstance(type(contract.adapter).lookup_is_reliable, bool)


def test_publish_returns_where_the_post_landed(contract: Harness, clock: FakeClock) -> None:
    before = contract.remote_ids()
    result = contract.adapter.publish(make_post(contract, 1))
    assert isinstance(result, PublishResult)
    assert isinstance(result.remote_id, str) and result.remote_id
    assert result.remote_url is None or isinstance(result.remote_url, str)
    assert result.published_at.tzinfo is not None
    assert contract.remote_ids() == [*before, result.remote_id]  # exactly one new post


def test_find_published_finds_a_sent_post_and_not_an_unsent_one(
    contract: Harness, clock: FakeClock
) -> None:
    since = clock() - SINCE
    first = contract.adapter.publish(make_post(contract, 1))
    contract.adapter.publish(make_post(contract, 2))
    found = contract.adapter.find_published(make_post(contract, 1), since=since)
    assert isinstance(found, PublishResult)
    assert found.remote_id == first.remote_id
    assert contract.adapter.find_published(make_post(contract, 3), since=since) is None
    assert len(contract.remote_ids()) == 2  # looking posted nothing


def test_a_reply_answers_its_post_and_is_found_again(contract: Harness, clock: FakeClock) -> None:
    """For an adapter that posts replies (`replies_as`: a thread's parts, or first comments):
    the reply lands as an answer to the post it names, under its own id, and `find_published`
    finds it again (threads resume after a crash by that lookup: docs/threads.md)."""
    kind = type(contract.adapter).replies_as
    if not kind:
        pytest.skip(f"{contract.name} posts no replies (replies_as is empty)")
    assert kind in ("thread", "first comment")
    assert contract.replied_to is not None, "a harness of an adapter with replies says replied_to"
    since = clock() - SINCE
    first = contract.adapter.publish(make_post(contract, 1))
    to = ReplyTo(first.remote_id, first.remote_id, first.remote_ref, first.remote_ref)
    reply = Post(
        key="contract-key-1-r1",
        channel=contract.adapter.context.name,
        item_id=1,
        text="Contract reply: part two",
        url="",
        reply_to=to,
    )
    result = contract.adapter.publish(reply)
    assert isinstance(result, PublishResult) and result.remote_id != first.remote_id
    assert contract.replied_to(result.remote_id) == first.remote_id
    assert contract.replied_to(first.remote_id) is None
    found = contract.adapter.find_published(reply, since=since)
    assert found is not None and found.remote_id == result.remote_id
    other = Post(
        "contract-key-1-r2", reply.channel, 1, "Contract reply: never sent", "", reply_to=to
    )
    assert contract.adapter.find_published(other, since=since) is None


def test_engagement_gives_one_reading_per_known_post(contract: Harness, clock: FakeClock) -> None:
    ids = [contract.adapter.publish(make_post(contract, n)).remote_id for n in range(3)]
    readings = contract.adapter.fetch_engagement([*ids, contract.missing_id])
    assert all(isinstance(e, Engagement) for e in readings)
    assert sorted(e.remote_id for e in readings) == sorted(ids)  # the missing one left out
    for e in readings:
        assert e.fetched_at.tzinfo is not None
        for name in COUNTERS:
            value = getattr(e, name)
            if name in contract.counters:
                assert isinstance(value, int) and value >= 0, (name, value)
            else:
                assert value is None, (
                    f"{name}: the network does not give it, so None, not {value!r}"
                )
    assert contract.adapter.fetch_engagement([]) == []
    assert {f.name for f in fields(Engagement)} >= COUNTERS


def test_read_costs_are_whole_reads_that_never_fall(contract: Harness) -> None:
    # The metrics budget plans with them (xensocial.metrics.budget): a cost that fell for more
    # ids, or was not a whole number of reads, would let a round spend more than it planned.
    adapter = contract.adapter
    costs = [adapter.engagement_reads(n) for n in range(1, adapter.engagement_batch + 1)]
    assert all(isinstance(c, int) and c >= 0 for c in costs)
    assert costs == sorted(costs)
    assert isinstance(adapter.followers_reads, int) and adapter.followers_reads >= 0


def test_followers(contract: Harness) -> None:
    assert contract.adapter.fetch_followers() == contract.followers


def test_verify_names_the_account(contract: Harness) -> None:
    info = contract.adapter.verify()
    assert isinstance(info, AccountInfo)
    assert isinstance(info.account, str) and info.account
    assert info.followers == contract.followers
    assert contract.remote_ids() == []  # verifying posted nothing
