"""The networks of a chaos run: a fake Mastodon, a fake Bluesky and a fake X with random
faults, and the outbox file; and the judge, which reads only what the networks themselves
recorded.

Mastodon and Bluesky have an authoritative lookup (Mastodon's own statuses, the PDS's records),
which settles a crash at once. X's timeline is eventually consistent, as the real one is: the
fake shows a post only `X_TIMELINE_LAG` after making it, so a lookup right after a lost answer
finds nothing although the post is out, and the protocol must wait for the settle period
(`xensocial.in_doubt`) instead of posting again or asking a person. The fake X accepts a
repeated text, unlike the real one, so that a second post would show in the judge's count
rather than be hidden by X's duplicate check.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from tests.fakes.bluesky import FakeBluesky
from tests.fakes.bluesky import rate_limited as bluesky_429
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon import rate_limited as mastodon_429
from tests.fakes.server import Chaos, FakeServer, Fault
from tests.fakes.x import FakeX
from tests.fakes.x import rate_limited as x_429

from .cluster import json_lines

__all__ = ["FAULT_KINDS", "X_TIMELINE_LAG", "Networks", "Rates"]

FAULT_KINDS = ("5xx", "timeout", "429", "accept_then_lose")
_URL = re.compile(r"https?://[^\s<>\"]+")
X_TIMELINE_LAG = timedelta(seconds=2)  # below the chaos configuration's settle period


@dataclass(frozen=True)
class Rates:
    """Per-request fault rates (the issue: about 20% 5xx or timeouts, some 429, some lost)."""

    error: float = 0.12
    timeout: float = 0.08
    rate_limit: float = 0.04
    lose: float = 0.05
    hang_seconds: float = 1.6  # above the daemons' 1 s request timeout
    long_429_share: float = 0.3  # 429s whose reset is minutes away: the item waits a slot


class Networks:
    """Three fake servers (Mastodon, Bluesky, X) on 127.0.0.1 with random faults, and the
    outbox."""

    MASTODON_TOKEN = "chaos-masto-token"
    BLUESKY_PASSWORD = "chaos-bsky-app-pass"
    BLUESKY_HANDLE = "xen.bsky.social"

    def __init__(self, seed: int, outbox: Path, rates: Rates = Rates()) -> None:
        self.rates, self.outbox = rates, outbox
        self._masto_server, self._bsky_server = FakeServer(), FakeServer()
        self._x_server = FakeServer()
        self.mastodon = FakeMastodon(self._masto_server, token=self.MASTODON_TOKEN)
        self.bluesky = FakeBluesky(
            self._bsky_server, handle=self.BLUESKY_HANDLE, password=self.BLUESKY_PASSWORD
        )
        self.x = FakeX(self._x_server, timeline_lag=X_TIMELINE_LAG, refuse_duplicates=False)
        self.policies = [
            self._policy(random.Random(seed * 2 + 1), mastodon_429),
            self._policy(random.Random(seed * 2 + 2), bluesky_429),
            self._policy(random.Random(seed * 2 + 3), x_429),
        ]
        self.queued: Counter[str] = Counter()  # faults queued up front (see `_queue_faults`)

    def _policy(self, rng: random.Random, limited: Callable[[datetime], Fault]) -> Chaos:
        def rate_limited() -> Fault:
            long = rng.random() < self.rates.long_429_share
            wait = timedelta(minutes=2) if long else timedelta(seconds=2)
            return limited(datetime.now(UTC) + wait)

        r = self.rates
        return Chaos(
            rng,
            error=r.error,
            timeout=r.timeout,
            rate_limit=r.rate_limit,
            lose=r.lose,
            hang_seconds=r.hang_seconds,
            limited=rate_limited,
        )

    def __enter__(self) -> Networks:
        for server, policy in zip(self._servers, self.policies, strict=True):
            server.start()
            server.chaos(policy)
        self._queue_faults()
        return self

    def _queue_faults(self) -> None:
        """One of each kind on each network's create call, whatever the dice say, so every run
        covers every kind (a short run may draw few faults at random)."""
        later = datetime.now(UTC) + timedelta(seconds=2)
        for server, create, limited in (
            (self._masto_server, FakeMastodon.STATUSES, mastodon_429),
            (self._bsky_server, FakeBluesky.CREATE_RECORD, bluesky_429),
            (self._x_server, "/2/tweets", x_429),
        ):
            for kind, fault in (
                ("accept_then_lose", Fault.accept_then_lose()),
                ("5xx", Fault.respond(503, {"error": "chaos"})),
                ("timeout", Fault.hang(self.rates.hang_seconds)),
                ("429", limited(later)),
                ("accept_then_lose", Fault.accept_then_lose()),
            ):
                server.fault("POST", create, fault)
                self.queued[kind] += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for server in self._servers:
            server.stop()

    @property
    def _servers(self) -> tuple[FakeServer, ...]:
        return (self._masto_server, self._bsky_server, self._x_server)

    @property
    def x_url(self) -> str:
        return self._x_server.url

    @property
    def mastodon_url(self) -> str:
        return self._masto_server.url

    @property
    def bluesky_url(self) -> str:
        return self._bsky_server.url

    def faults(self) -> Counter[str]:
        """Faults injected so far, by kind, over both servers."""
        total: Counter[str] = Counter({kind: 0 for kind in FAULT_KINDS})
        total.update(self.queued)
        for policy in self.policies:
            total.update(policy.injected)
        return total

    def requests(self) -> int:
        return sum(len(server.log) for server in self._servers)

    # -- the judge ---------------------------------------------------------------------------

    def posted_urls(self) -> dict[str, list[str]]:
        """Per channel, the item URL of every post the network holds (repeats included)."""

        def first_url(text: str) -> str:
            found = _URL.search(text)
            return found.group(0) if found else f"<no link in {text!r}>"

        return {
            "masto": [first_url(s.text) for s in list(self.mastodon.statuses)],
            "bsky": [first_url(p.text) for p in list(self.bluesky.posts)],
            # X shows links as t.co: the link posted is the entity's expanded URL.
            "x": [
                str(p.urls[0]["expanded_url"]) if p.urls else f"<no link in {p.text!r}>"
                for p in list(self.x.posts.values())
            ],
            "outbox": [str(line["url"]) for line in json_lines(self.outbox)],
        }
