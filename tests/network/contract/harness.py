"""Harnesses: how the contract suite gets an adapter wired to its fake network, per adapter.

The suite (`test_contract.py`, and `test_faults.py` for failures) runs every test once per
registered harness. A harness is an adapter instance talking to a fake of its network, plus a
way to read what that fake holds (read from the fake itself, never through the adapter), what
the network reports, and a way to make the network fail (`fault`).

Adding a built-in network (e.g. facebook, mastodon): create `tests/network/contract/harnesses/NAME.py`
with one factory decorated `@harness("NAME")`; every module in that folder is imported, so no
list needs editing. A factory takes a `HarnessContext` (tmp_path, clock) and returns a context
manager yielding a `Harness`; the fake server lives as long as the context:

    @harness("mastodon")
    @contextmanager
    def mastodon(ctx: HarnessContext) -> Iterator[Harness]:
        with FakeServer() as server:
            fake = FakeMastodon(server, clock=ctx.clock)
            adapter = MastodonAdapter(ChannelContext("m", options={"api_base_url": server.url},
                                      secrets={...}, clock=ctx.clock, timeout_seconds=TIMEOUT))
            yield Harness("mastodon", adapter, remote_ids=lambda: list(fake.statuses),
                          missing_id="999999", counters=frozenset({"likes", "reposts", "replies"}),
                          followers=fake.followers,
                          fault=on_fake_server(server, ctx.clock, publish=..., lookup=...,
                                               rate_limited=..., server_error=...,
                                               revoke=fake.revoke))
            adapter.close()

`fault(kind)` makes the network fail the adapter's next call in one of the ways `faults.py`
lists (a 429 with a reset, a 5xx, a read timeout, a refused connection, a repeat, a lost answer,
revoked credentials, and the lookup's own failures); the suite (`test_faults.py`) asserts what
the adapter must raise for each. `on_fake_server` is that hook for a fake on `FakeServer`. A
kind the network cannot have goes in `cannot`, with the reason: the suite skips it saying so.

Running the suite against a third-party adapter: install the plugin (its entry point in the
`xensocial.adapters` group) and write a factory like the one above in an importable module, then

    XENSOCIAL_CONTRACT_HARNESS=myplugin.testing:harness pytest tests/network/contract

(several: comma-separated `module:attribute`s). `XENSOCIAL_CONTRACT_ONLY=key[,key]` runs the
suite for those harnesses only; a key is a built-in's name or the `module:attribute` given, e.g.
`XENSOCIAL_CONTRACT_ONLY=myplugin.testing:harness` for the plugin alone. A factory named by the
variable is used as is (no decorator needed); its harness's `name` must be the plugin's
entry-point name, which the suite checks (`test_name_matches_the_registry`).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import FakeClock
from xensocial.adapters.base import Adapter

from .faults import KINDS, FaultHook

__all__ = [
    "ENV_HARNESS",
    "ENV_ONLY",
    "Harness",
    "HarnessContext",
    "HarnessFactory",
    "harness",
    "harnesses",
]

ENV_HARNESS = "XENSOCIAL_CONTRACT_HARNESS"
ENV_ONLY = "XENSOCIAL_CONTRACT_ONLY"
COUNTERS = frozenset(
    {"likes", "reposts", "replies", "quotes", "impressions", "clicks", "bookmarks"}
)


@dataclass(frozen=True)
class HarnessContext:
    tmp_path: Path  # a fresh folder for this test
    clock: FakeClock  # the test's clock: give it to the adapter and to the fake


@dataclass(frozen=True)
class Harness:
    """One adapter wired to its fake network, and what the suite may expect of it."""

    name: str  # the registry (entry-point) name the adapter is installed under
    adapter: Adapter
    remote_ids: Callable[[], list[str]]  # ids of the posts the fake holds, as publish reports them
    missing_id: str  # a well-formed id of a post the network does not have
    counters: frozenset[str] = frozenset()  # Engagement fields it reports; the others are None
    followers: int | None = None  # what fetch_followers and verify must report
    fault: FaultHook | None = None  # make the network fail the next call (see `faults.py`)
    cannot: Mapping[str, str] = field(default_factory=dict)  # fault kinds it cannot have: why
    # For an adapter that posts replies (`Adapter.replies_as`): the remote id of what the reply
    # with this remote id answers, as the fake recorded it (None: not a reply it knows).
    replied_to: Callable[[str], str | None] | None = None

    def __post_init__(self) -> None:
        if not self.counters <= COUNTERS:
            raise ValueError(f"unknown counters: {sorted(self.counters - COUNTERS)}")
        if unknown := sorted(set(self.cannot) - set(KINDS)):
            raise ValueError(f"unknown fault kinds in cannot: {unknown}; the kinds: {KINDS}")


HarnessFactory = Callable[[HarnessContext], AbstractContextManager[Harness]]

_REGISTERED: dict[str, HarnessFactory] = {}


def harness(name: str) -> Callable[[HarnessFactory], HarnessFactory]:
    """Register a built-in harness factory under the adapter's registry name."""

    def register(factory: HarnessFactory) -> HarnessFactory:
        _REGISTERED[name] = factory
        return factory

    return register


def _from_env(spec: str) -> tuple[str, HarnessFactory]:
    module, _, attr = spec.strip().partition(":")
    if not module or not attr:
        raise ValueError(f"{ENV_HARNESS}: expected module:attribute, got {spec!r}")
    factory = getattr(importlib.import_module(module), attr)
    return spec.strip(), factory


def harnesses() -> dict[str, HarnessFactory]:
    """Every harness to run: the built-ins, those named by $XENSOCIAL_CONTRACT_HARNESS (keyed by
    their `module:attribute`), filtered by $XENSOCIAL_CONTRACT_ONLY when it is set."""
    from . import harnesses as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    found = dict(sorted(_REGISTERED.items()))
    for spec in filter(None, os.environ.get(ENV_HARNESS, "").split(",")):
        key, factory = _from_env(spec)
        found[key] = factory
    only = {n.strip() for n in os.environ.get(ENV_ONLY, "").split(",") if n.strip()}
    if only:
        found = {k: f for k, f in found.items() if k in only}
    return found
