"""The failures the contract injects through a harness's `fault(kind)` hook, and a hook for fakes
on `tests.fakes.server.FakeServer`.

The publisher's exactly-once promise rests on each adapter turning its network's failures into
the right error of `xensocial.adapters.base`: a rate limit into `RateLimited` with the reset the
network gave, a failure that may have reached the network into `TransientError(maybe_posted=
True)`, one that provably sent nothing into `maybe_posted=False`, a repeat into
`Rejected(duplicate=True)` (or the same post again), and a lookup that cannot read into an
error, never into "not found". `test_faults.py` asserts that once for every adapter; a harness
only says how to make its network fail. `fault(kind)` arms the failure for the adapter's next
call and returns what the network announced (`Injected`); the kinds:

    rate_limited         the next post is refused with the network's own rate-limit answer, its
                         reset `RESET_AFTER` from the clock's now (`Injected.reset_at`: the reset
                         as the adapter should read it, rounded as the network rounds it)
    server_error         the next post is answered with a 5xx, before anything is created
    read_timeout         the next post gets no answer for longer than `TIMEOUT`; nothing created
    connection_refused   the network cannot be reached at all from now on (nothing is sent)
    duplicate            the next post that repeats an earlier one meets the network's handling
                         of a repeat (its refusal, or its idempotency key); a fake that does so
                         on its own needs nothing armed
    lost_response        the next post IS created, and its answer never arrives (the connection
                         drops)
    revoked              the credentials are revoked from now on
    lookup_rate_limited  as rate_limited, lookup_server_error and lookup_read_timeout as
    lookup_server_error  server_error and read_timeout, for the next read of the account's
    lookup_read_timeout  posts that `find_published` makes

Every fault but connection_refused and revoked hits one request, so the call after it goes
through. A kind the network cannot have (the outbox has no HTTP, Bluesky refuses no repeat) is
named in the harness's `cannot`, with the reason, which the suite reports as the skip's reason.
A harness's adapter should be built with `timeout_seconds=TIMEOUT`, so read timeouts are quick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from tests.conftest import FakeClock
from tests.fakes.server import FakeServer, Fault

__all__ = [
    "HANG",
    "KINDS",
    "RESET_AFTER",
    "TIMEOUT",
    "FaultHook",
    "FaultKind",
    "Injected",
    "RateLimitAnswer",
    "on_fake_server",
]

FaultKind = Literal[
    "rate_limited",
    "server_error",
    "read_timeout",
    "connection_refused",
    "duplicate",
    "lost_response",
    "revoked",
    "lookup_rate_limited",
    "lookup_server_error",
    "lookup_read_timeout",
]
KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
TIMEOUT = 1.0  # seconds: a harness's adapter times out after this (`timeout_seconds`)
HANG = TIMEOUT * 10  # a read_timeout's silence; the fake server cuts it short when it stops
RESET_AFTER = timedelta(minutes=15)  # a rate limit lifts this long after the clock's now


@dataclass(frozen=True)
class Injected:
    """What the network announced with the failure it was made to answer."""

    reset_at: datetime | None = None  # rate limits: when the network said it lifts


FaultHook = Callable[[FaultKind], Injected]
Route = tuple[str, str]  # (method, pattern) of a FakeServer route
RateLimitAnswer = Callable[[datetime], tuple[Fault, datetime | None]]


def on_fake_server(
    server: FakeServer,
    clock: FakeClock,
    *,
    publish: Route,
    lookup: Route,
    rate_limited: RateLimitAnswer,
    server_error: Fault,
    revoke: Callable[[], None],
) -> FaultHook:
    """The `fault` hook of a network faked on `server`: faults are queued on the `publish`
    route (the post's create request) or the `lookup` route (the read of the account's posts).

    `rate_limited(reset)` builds the network's 429 (or its own rate-limit answer) announcing
    `reset`, and says the reset as the adapter should read it back (None: the answer gives
    none). `server_error` is the network's 5xx. Repeats are left to the fake, which refuses
    them (or honours an idempotency key) on its own."""

    def limited(route: Route) -> Injected:
        fault, announced = rate_limited(clock() + RESET_AFTER)
        server.fault(*route, fault)
        return Injected(reset_at=announced)

    def fault(kind: FaultKind) -> Injected:
        match kind:
            case "rate_limited":
                return limited(publish)
            case "lookup_rate_limited":
                return limited(lookup)
            case "server_error" | "lookup_server_error":
                server.fault(*(publish if kind == "server_error" else lookup), server_error)
            case "read_timeout" | "lookup_read_timeout":
                server.fault(*(publish if kind == "read_timeout" else lookup), Fault.hang(HANG))
            case "lost_response":
                server.fault(*publish, Fault.accept_then_lose())
            case "connection_refused":
                server.refuse()
            case "revoked":
                revoke()
            case "duplicate":
                pass  # the fakes refuse a repeat, or honour the idempotency key, on their own
        return Injected()

    return fault
