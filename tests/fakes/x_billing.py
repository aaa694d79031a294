"""X's pay-per-use billing as the fake X plays it: what X would charge, and what it answers
when the app cannot pay.

What X charges (docs.x.com, "X API pay-per-usage pricing", August 2026): reads per resource
returned in the answer (a post in `GET /2/tweets` is a "Posts: Read", the user of
`GET /2/users/me` a "User: Read", the account's own posts in `GET /2/users/:id/tweets` an
"Owned Read"), each resource once per UTC day however often it is read; writes per request
(`POST /2/tweets` is "Post: Create", or "Post: Create (with URL)" when the text has a link;
`GET /2/tweets/counts/recent` is "Counts: Recent"). A refused request is not charged. `Bill`
keeps that account, so a test can hold our metrics budget to what X would have billed.

When the app cannot pay, X refuses every request until a person acts:

- `payment_required()`: **402** when the credits are used up. X documents only "requests will
  fail"; the two bodies here are the ones X has been seen to send: the `CreditsDepleted`
  problem (`https://api.twitter.com/2/problems/credits`, with the `account_id`), and the later
  `https://api.x.com/2/problems/credits-depleted` one ("Payment Required", "credits depleted").
- `usage_capped()`: **429** with X's `UsageCapExceeded` problem (`.../2/problems/usage-capped`;
  `period` Daily or Monthly and `scope` Account or Product, as X's OpenAPI schema
  `UsageCapExceededProblem` has them), with the ordinary rate-limit headers beside it, as X
  sends them: a client that trusts `x-rate-limit-reset` waits for nothing.

`FakeX.blocked = payment_required()` makes the fake answer every signed request so until it is
set back to None (the credits bought); `server.fault(...)` answers one request so.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from .server import Fault

__all__ = ["Bill", "payment_required", "usage_capped"]

ACCOUNT_ID = 1553086854915936256  # the developer account X names in a 402 (not the user)


def payment_required(shape: str = "credits") -> Fault:
    """X's 402 for an app with no credits left, in one of the two shapes seen from X."""
    if shape == "credits":
        body: dict[str, object] = {
            "account_id": ACCOUNT_ID,
            "title": "CreditsDepleted",
            "detail": f"Your enrolled account [{ACCOUNT_ID}] does not have any credits to "
            "fulfill this request.",
            "type": "https://api.twitter.com/2/problems/credits",
        }
    elif shape == "credits-depleted":
        body = {
            "detail": "credits depleted",
            "status": 402,
            "title": "Payment Required",
            "type": "https://api.x.com/2/problems/credits-depleted",
        }
    else:
        raise ValueError(f"unknown 402 shape {shape!r}")
    return Fault.respond(402, body)


def usage_capped(
    *, period: str = "Monthly", scope: str = "Product", reset_at: datetime | None = None
) -> Fault:
    """X's 429 for a usage cap reached (see the module docstring)."""
    body = {
        "account_id": ACCOUNT_ID,
        "product_name": "standard-basic",
        "title": "UsageCapExceeded",
        "period": period,
        "scope": scope,
        "detail": f"Usage cap exceeded: {period} {scope.lower()} cap",
        "type": "https://api.twitter.com/2/problems/usage-capped",
    }
    headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "99"}
    if reset_at is not None:
        headers["x-rate-limit-reset"] = str(int(reset_at.timestamp()))
    return Fault.respond(429, body, headers)


class Bill:
    """What X would have charged the app so far, by X's price names ("Posts: Read", ...)."""

    READS = ("Posts: Read", "User: Read", "Owned Read")

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: set[tuple[date, str, str]] = set()
        self.charged: Counter[str] = Counter()

    def read(self, kind: str, ids: Iterable[str]) -> None:
        """Resources of `kind` returned in one answer: each charged once per UTC day."""
        day = self._clock().astimezone(UTC).date()  # X's day is the UTC day
        with self._lock:
            for i in ids:
                if (day, kind, i) not in self._seen:
                    self._seen.add((day, kind, i))
                    self.charged[kind] += 1

    def request(self, kind: str) -> None:
        """One write (or other per-request charge) of `kind`."""
        with self._lock:
            self.charged[kind] += 1

    @property
    def reads(self) -> int:
        """Every read charged: posts, users and owned reads."""
        with self._lock:
            return sum(self.charged[k] for k in self.READS)
