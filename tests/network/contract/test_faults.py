"""The adapter contract under failure: what every adapter must raise when its network fails.

Each test runs once per harness (`harness.py`), third-party ones included, and makes the
network fail through the harness's `fault(kind)` hook (`faults.py` lists the kinds). What the
network holds is read from its fake, never through the adapter. The assertions are what the
publisher relies on (`xensocial.publishing`, docs/reliability.md's failure table): the class of
the error and `maybe_posted` decide whether a post is retried, looked up first, waited out or
set aside, so a wrong answer here is a lost post or a post made twice.

A kind the harness says its network cannot have is skipped with the harness's reason.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import FakeClock
from xensocial.adapters.base import (
    AuthError,
    PublishResult,
    RateLimited,
    Rejected,
    TransientError,
)

from .faults import HANG, KINDS, TIMEOUT, FaultKind, Injected
from .harness import Harness
from .test_contract import SINCE, make_post


def arm(h: Harness, kind: FaultKind) -> Injected:
    """Make `h`'s network fail as `kind` says, or skip the test with the harness's reason."""
    if kind in h.cannot:
        pytest.skip(f"{h.name} cannot have {kind}: {h.cannot[kind]}")
    if h.fault is None:
        pytest.skip(f"{h.name}'s harness gives no fault hook (see docs/plugins.md)")
    return h.fault(kind)


def goes_through_after(h: Harness, n: int) -> None:
    """The fault was for one request: the next post goes out, once."""
    before = h.remote_ids()
    result = h.adapter.publish(make_post(h, n))
    assert h.remote_ids() == [*before, result.remote_id]


def test_the_harness_names_only_known_kinds(contract: Harness) -> None:
    assert set(contract.cannot) <= set(KINDS)
    assert all(reason.strip() for reason in contract.cannot.values())  # a reason, not silence


def test_a_rate_limit_is_rate_limited_until_the_reset_given(
    contract: Harness, clock: FakeClock
) -> None:
    injected = arm(contract, "rate_limited")
    with pytest.raises(RateLimited) as caught:
        contract.adapter.publish(make_post(contract, 1))
    assert caught.value.reset_at == injected.reset_at
    assert caught.value.maybe_posted is False
    assert contract.remote_ids() == []
    goes_through_after(contract, 1)


def test_a_server_error_is_transient_and_may_have_posted(contract: Harness) -> None:
    arm(contract, "server_error")
    with pytest.raises(TransientError) as caught:
        contract.adapter.publish(make_post(contract, 1))
    assert not isinstance(caught.value, RateLimited)  # no reset to wait for: a backoff
    assert caught.value.maybe_posted is True  # a 5xx may come after the post was made
    assert contract.remote_ids() == []  # (this one came before: the next try is safe)
    goes_through_after(contract, 1)


def test_a_read_timeout_is_quick_transient_and_may_have_posted(contract: Harness) -> None:
    arm(contract, "read_timeout")
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        contract.adapter.publish(make_post(contract, 1))
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT * 3 < HANG, f"{elapsed:.1f} s: the adapter's timeout did not apply"
    assert not isinstance(caught.value, RateLimited)
    assert caught.value.maybe_posted is True  # no answer: the post may be out
    assert contract.remote_ids() == []
    goes_through_after(contract, 1)


def test_a_refused_connection_is_transient_and_did_not_post(contract: Harness) -> None:
    arm(contract, "connection_refused")
    with pytest.raises(TransientError) as caught:
        contract.adapter.publish(make_post(contract, 1))
    assert not isinstance(caught.value, RateLimited)
    assert caught.value.maybe_posted is False  # nothing left: sending again is safe
    assert contract.remote_ids() == []


def test_a_repeat_is_refused_as_a_duplicate_or_answered_with_the_same_post(
    contract: Harness, clock: FakeClock
) -> None:
    since = clock() - SINCE
    first = contract.adapter.publish(make_post(contract, 1))
    arm(contract, "duplicate")
    try:
        again = contract.adapter.publish(make_post(contract, 1))
    except Rejected as exc:
        assert exc.duplicate is True, f"a repeat refused, but not as a duplicate: {exc}"
        # The publisher then looks for our own earlier post, to record it as published.
        found = contract.adapter.find_published(make_post(contract, 1), since=since)
        assert found is not None and found.remote_id == first.remote_id
    else:  # an idempotency key: the network answers with the post it already made
        assert again.remote_id == first.remote_id
    assert contract.remote_ids() == [first.remote_id]  # one post, whatever the answer


def test_a_lost_answer_may_have_posted_and_the_lookup_finds_the_post(
    contract: Harness, clock: FakeClock
) -> None:
    since = clock() - SINCE
    arm(contract, "lost_response")
    with pytest.raises(TransientError) as caught:
        contract.adapter.publish(make_post(contract, 1))
    assert not isinstance(caught.value, RateLimited)
    assert caught.value.maybe_posted is True
    [made] = contract.remote_ids()  # the network made it
    found = contract.adapter.find_published(make_post(contract, 1), since=since)
    if found is None:
        # Only a lookup that does not claim to be proof may miss it: the publisher then
        # leaves the delivery to a person (or to the settle period), never sends it again.
        assert not type(contract.adapter).lookup_is_reliable, (
            "find_published missed a post the network holds, and lookup_is_reliable says "
            "that proves it absent: the publisher would post it twice"
        )
    else:
        assert isinstance(found, PublishResult) and found.remote_id == made
    assert contract.remote_ids() == [made]


def test_revoked_credentials_are_an_auth_error(contract: Harness) -> None:
    arm(contract, "revoked")
    with pytest.raises(AuthError):
        contract.adapter.verify()
    with pytest.raises(AuthError):
        contract.adapter.publish(make_post(contract, 1))
    assert contract.remote_ids() == []


# -- the lookup: a read that fails must say so, never answer "not there" -----------------------


def _sent(contract: Harness) -> None:
    contract.adapter.publish(make_post(contract, 1))


def test_a_rate_limited_lookup_is_rate_limited_not_an_answer(
    contract: Harness, clock: FakeClock
) -> None:
    since = clock() - SINCE
    _sent(contract)
    injected = arm(contract, "lookup_rate_limited")
    with pytest.raises(RateLimited) as caught:
        contract.adapter.find_published(make_post(contract, 1), since=since)
    assert caught.value.reset_at == injected.reset_at
    assert contract.adapter.find_published(make_post(contract, 1), since=since) is not None


@pytest.mark.parametrize("kind", ["lookup_server_error", "lookup_read_timeout"])
def test_a_failed_lookup_is_transient_not_an_answer(
    contract: Harness, clock: FakeClock, kind: FaultKind
) -> None:
    # "Not found" from a reliable lookup lets the publisher send again: a lookup that could not
    # read must raise instead, or a post in doubt would be made twice.
    since = clock() - SINCE
    _sent(contract)
    arm(contract, kind)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        contract.adapter.find_published(make_post(contract, 1), since=since)
    assert time.monotonic() - started < TIMEOUT * 3
    assert not isinstance(caught.value, RateLimited)
    assert contract.adapter.find_published(make_post(contract, 1), since=since) is not None
