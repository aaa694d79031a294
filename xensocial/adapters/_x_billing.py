"""What X's pay-per-use billing means for the X adapter: the answers that pause a channel, and
what a read costs against the metrics budget.

X bills the app per use (docs.x.com, "X API pay-per-usage pricing", as of August 2026): reads
per resource returned (a post read, a user read), writes per request. Two answers are about
money, not about one request, and waiting does not clear them:

- **402 Payment Required**: the app has no credits left (X's body names the problem
  `CreditsDepleted`; X does not document it, the shapes seen from X are in tests/fakes/x_billing.py).
  X did not do what was asked, so a post was not created. Every call fails the same way until
  someone buys credits.
- **429 with the problem type `.../2/problems/usage-capped`** (title `UsageCapExceeded`, with
  `period` Daily or Monthly): a usage cap of the app's plan is reached. Unlike an ordinary 429
  it has no 15-minute window to wait out, so `x-rate-limit-reset` is no promise.

Both become `ChannelBlocked`, whose message is the pause reason a person reads in
`channels list`: what happened, in plain words first ("out of X credits", "monthly usage cap
reached"), then what to do. The adapter's `_call` is the one place that decides this, for posts
and reads alike.

The metrics budget (`[metrics.budget] x`) counts what X bills for reads: a lookup of 100 posts
is 100 reads, the account's follower count one (a "User: Read"), whatever the requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .base import ChannelBlocked

if TYPE_CHECKING:
    import requests

__all__ = [
    "FOLLOWERS_READS",
    "USAGE_CAPPED",
    "is_usage_capped",
    "out_of_credits",
    "post_reads",
    "problem_of",
    "usage_capped",
]

USAGE_CAPPED = "/2/problems/usage-capped"  # X's problem type, on api.twitter.com or api.x.com
CONSOLE = "console.x.com"
SAID_MAX = 200  # characters of X's own words quoted in a pause reason
FOLLOWERS_READS = 1  # `GET /2/users/me` returns one user: one "User: Read"


def post_reads(ids: int) -> int:
    """Reads X bills for a lookup of `ids` posts (`GET /2/tweets`): one per post returned.

    Counted as one per post asked for, so the budget never falls below the bill: X does not
    bill a post it no longer has, nor a post read a second time in the same UTC day."""
    return max(0, ids)


def problem_of(response: requests.Response) -> Mapping[str, Any]:
    """X's problem object (`{"title", "detail", "type", ...}`) from an error answer, or {}."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _text(problem: Mapping[str, Any], key: str) -> str:
    """A field of X's answer as one short printable line: it ends up in the pause reason,
    which tables, logs and reports show (and escape) as they show any text."""
    value = problem.get(key)
    if not isinstance(value, str):
        return ""
    line = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return line if len(line) <= SAID_MAX else line[: SAID_MAX - 1] + "…"


def is_usage_capped(problem: Mapping[str, Any]) -> bool:
    """True when a 429's body says a usage cap is reached rather than a rate limit."""
    kind = _text(problem, "type").rstrip("/")
    return kind.endswith(USAGE_CAPPED) or _text(problem, "title") == "UsageCapExceeded"


def _resume(channel: str) -> str:
    return f"then run `xensocial channels resume {channel}`"


def out_of_credits(action: str, problem: Mapping[str, Any], channel: str) -> ChannelBlocked:
    """The pause for a 402: the app has no X credits left. Nothing was created."""
    said = _text(problem, "detail") or _text(problem, "title") or "Payment Required"
    return ChannelBlocked(
        f"out of X credits: {action} got 402 ({said}); X did nothing. Add credits (or raise "
        f"the spending limit) at {CONSOLE}, the X Developer Console, " + _resume(channel)
    )


def usage_capped(action: str, problem: Mapping[str, Any], channel: str) -> ChannelBlocked:
    """The pause for a usage-capped 429: waiting for the rate-limit window will not help."""
    period = _text(problem, "period").lower()
    which = period if period in ("daily", "monthly") else "monthly"
    said = _text(problem, "detail") or _text(problem, "title") or "usage cap exceeded"
    until = "tomorrow" if which == "daily" else "the next billing cycle"
    return ChannelBlocked(
        f"{which} usage cap reached: {action} got 429 ({said}); X did nothing. Wait for "
        f"{until} (or change the app's plan at {CONSOLE}, the X Developer Console), "
        + _resume(channel)
    )
