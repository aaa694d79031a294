"""A post in doubt: is it out there, and when may "not found" be believed?

A post is in doubt when the attempt that may have made it ended without an answer: the answer
was lost (a read timeout, a 5xx after the body was sent) or the process died mid-post. The
network is then asked (`Adapter.find_published`), and what "not found" proves depends on the
network's lookup:

- reliable (Mastodon, Bluesky, the outbox: a lookup by the idempotency key, or by the account's
  own complete record): not found means not made. Released: safe to send again.
- settling (X): the account's timeline shows a new post only after a while, so "not found"
  right after the attempt proves nothing. It proves absence once the settle period
  (`[publishing] settle`, 5 minutes) has passed since the attempt began *and* at least
  `MIN_READS` reads found nothing: one read could be an answer served from a lagging copy, a
  second, later one must agree. Until then the delivery stays `publishing`, held by whoever
  looked (under its lease, so no one sends it meanwhile), and is asked again at the channel's
  next slot or reconciliation pass. The count lives in the database (`Ledger.note_absent`), so
  a replica that takes the post over carries on where its owner stopped.
- neither (Facebook, LinkedIn: a lookup that can miss a post for good): `unknown`, for a person.

A lookup that can never answer (`LookupUnavailable`: X's 403 for an access tier without the
timeline) sends the delivery to a person too; a lookup that fails for now (a timeout, a 5xx, a
rate limit) raises, and the caller asks again later, as before.

The one rule in one place: reconciliation after a crash (`reconcile.py`) and the publisher's
lost-answer path (`publishing.py`) both call `look_up` and act on its verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from content_queue import Ledger

from .adapters.base import Adapter, LookupUnavailable, Post, PublishResult

__all__ = ["LOOKUP_MARGIN", "MIN_READS", "Outcome", "Verdict", "look_up"]

LOOKUP_MARGIN = timedelta(minutes=5)
"""How far before the first try `find_published` looks (clock skew between us and the network)."""

MIN_READS = 2
"""Reads that must find nothing, the last one past the settle period, before a settling
network's "not found" is believed."""


class Outcome(Enum):
    FOUND = "published"  # the post is out: record it published
    ABSENT = "released"  # proved not made: safe to send again
    WAITING = "waiting"  # not found yet, too early to believe: stays ours, asked again later
    UNKNOWN = "unknown"  # cannot tell, now or later: a person decides
    LOST = "left"  # while we looked, another process took the delivery over: it settles it


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    detail: str
    found: PublishResult | None = None


def look_up(
    adapter: Adapter,
    post: Post,
    *,
    since: datetime,
    ledger: Ledger,
    delivery_id: int,
    owner: str,
    now: datetime,
    settle: timedelta,
) -> Verdict:
    """Look for the post of `delivery_id` (held `publishing` by `owner`) and say what the
    answer proves at `now`; a "not found" from a settling network is counted in the ledger.

    Raises the adapter's errors (TransientError, RateLimited, AuthError...) when the lookup
    fails for now, except `LookupUnavailable`, which is an answer: UNKNOWN."""
    try:
        found = adapter.find_published(post, since=since)
    except LookupUnavailable as exc:
        return Verdict(Outcome.UNKNOWN, f"{adapter.name} lookups cannot be made: {exc}")
    if found is not None:
        return Verdict(Outcome.FOUND, f"found as {found.remote_id}", found)
    if adapter.lookup_is_reliable:
        return Verdict(Outcome.ABSENT, "not found; safe to retry")
    if not adapter.lookup_settles:
        return Verdict(
            Outcome.UNKNOWN, f"not found, and {adapter.name} lookups cannot prove it is not out"
        )
    doubt = ledger.note_absent(delivery_id, owner=owner, at=now)
    if doubt is None:
        return Verdict(Outcome.LOST, "another process took the delivery over")
    settled_at = doubt.attempted_at + settle
    reads = doubt.absent_reads
    if reads >= MIN_READS and now >= settled_at:
        return Verdict(
            Outcome.ABSENT,
            f"not found in {reads} reads, the last {_ago(now - doubt.attempted_at)} after the "
            "attempt; safe to retry",
        )
    return Verdict(
        Outcome.WAITING,
        f"not found yet (read {reads}); {adapter.name} may show it until "
        f"{settled_at.isoformat(timespec='seconds')}, asked again at the next slot",
    )


def _ago(span: timedelta) -> str:
    return f"{int(span.total_seconds())} s"
