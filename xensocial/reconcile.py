"""Settling deliveries a crash left `publishing`: is the post out there or not?

A delivery is committed as `publishing` before the network call and as `published` after it, so
a crash in between leaves it `publishing`, and only the network knows whether the post went out.
This module asks it (`Adapter.find_published`, by the delivery's idempotency key) and never
guesses:

- found -> `published`, with the remote id the network reports;
- proved not found -> back to `pending`: safe to send again (a reliable lookup at once; a
  settling one, X, only once its settle period has passed and two reads agree: until then the
  delivery is "waiting", held under our lease and asked again at the channel's next slot);
- not found, and the lookup may miss posts, or can never be made -> `unknown`: a person decides;
- the lookup itself failed -> left as it is, and asked again next time.

What a "not found" proves is decided in `in_doubt.py`, which the publisher's lost-answer path
uses too.

Only deliveries whose lease has expired (their owner died, or is gone for longer than a lease),
or that this identity owns (a previous run of the same replica), are taken over, so a live
replica's post in flight is never touched. Taking over is a conditional update
(`Ledger.take_over`: this identity becomes the owner, with a new lease; a row another replica
is taking over at that instant is skipped) made before the lookup, and every outcome is then
written as that owner: if the first owner comes back late, or another replica reconciles at the
same time, only one of them settles it.

The publisher calls this at start-up (with `own_live`: every delivery of its identity, unless
another live process shares that identity), and before each slot of a channel for that
channel's expired leases and the deliveries it left `publishing` itself (a lookup that failed,
a stop while the post may have been out).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from content_queue import Ledger
from content_queue.views import DeliveryView, ItemView, Posted, Thread

from .adapters.base import Adapter, AdapterError, Post
from .in_doubt import LOOKUP_MARGIN, Outcome, look_up
from .rendering import channel_url, make_post, posted_record
from .threads import continue_thread, main_part, record_main

if TYPE_CHECKING:
    from .config import ChannelConfig, Settings

__all__ = ["LOOKUP_MARGIN", "Reconciled", "reconcile_in_flight"]


log = structlog.get_logger("xensocial.reconcile")


@dataclass(frozen=True)
class Reconciled:
    """What reconciliation did with one delivery left `publishing`.

    `action`: "published" (found out there), "released" (proved absent: back to pending),
    "unknown" (cannot tell: a person decides), "waiting" (not found yet on a network whose
    lookup settles: too early to believe), "left" (the lookup failed, or another process
    holds the delivery: next time). `held`: still ours, under our fresh lease ("waiting", or
    "left" after a failed lookup): we ask again at the channel's next slot, since no one else
    may before that lease runs out."""

    delivery_id: int
    item_id: int
    channel: str
    action: str
    detail: str | None = None
    held: bool = False


def reconcile_in_flight(
    ledger: Ledger,
    adapters: Mapping[str, Adapter],
    settings: Settings,
    *,
    identity: str,
    now: datetime,
    channel: str | None = None,
    own_live: bool = True,
    also: Collection[int] = (),
) -> list[Reconciled]:
    """Settle the deliveries left `publishing` that `identity` may take over (of `channel`,
    when given): expired leases and, with `own_live`, every one `identity` holds; without it,
    only those of its own whose ids are in `also`. Returns what was done with each."""
    out: list[Reconciled] = []
    for f in ledger.in_flight(
        owner=identity, now=now, channel=channel, own_live=own_live, also=also
    ):
        name = f.delivery.channel
        rlog = log.bind(
            channel=name, item_id=f.item.id, delivery_id=f.delivery.id, was_owner=f.delivery.owner
        )
        adapter = adapters.get(name)
        if adapter is None:
            rlog.warning("reconcile_skipped", reason="channel not configured or not enabled")
            continue
        config = settings.channel(name)
        lease_until = now + settings.publishing.lease
        if not ledger.take_over(f.delivery.id, identity, now=now, lease_until=lease_until):
            detail = "held by another process (or settled) since it was listed"
            rlog.info("reconcile_skipped", reason=detail)
            out.append(Reconciled(f.delivery.id, f.item.id, name, "left", detail))
            continue
        cfg = settings.publishing
        out.append(
            _settle(
                ledger,
                config,
                adapter,
                f.delivery,
                f.item,
                identity,
                rlog,
                now=now,
                settle=cfg.settle,
                lease=cfg.lease,
            )
        )
    return out


def _settle(
    ledger: Ledger,
    channel: ChannelConfig,
    adapter: Adapter,
    delivery: DeliveryView,
    item: ItemView,
    owner: str,
    rlog: Any,
    *,
    now: datetime,
    settle: timedelta,
    lease: timedelta,
) -> Reconciled:
    """Look the delivery up and record the outcome, as `owner` (who has just taken it over)."""

    def done(action: str, detail: str | None, recorded: bool) -> Reconciled:
        if not recorded:  # our new lease ran out during the lookup and another took over
            detail = f"{detail}; not recorded: another process took the delivery over"
            rlog.warning("reconcile_lost_ownership", action=action, detail=detail)
            return Reconciled(delivery.id, item.id, channel.name, "left", detail)
        rlog.info("reconciled", action=action, detail=detail)
        return Reconciled(delivery.id, item.id, channel.name, action, detail)

    thread = ledger.thread(delivery.id)
    times: dict[str, Any] = {"now": now, "lease": lease, "settle": settle}
    rendered: Posted | None = None  # what was sent, as far as it can be made again
    try:
        post = make_post(channel, adapter, delivery, item)
        rendered = posted_record(post)
    except ValueError:  # the lookup is by key (else URL): the text does not matter
        url = channel_url(item.url, channel)
        post = Post(delivery.idempotency_key, channel.name, item.id, "", url, item.title)
    if thread.replies and main_part(thread) is not None:  # its post is out: the next part
        return _thread(ledger, channel, adapter, delivery, thread, owner, rendered, rlog, **times)
    # The post cannot predate its item: the widest window that is still bounded.
    since = item.created_at - LOOKUP_MARGIN
    try:
        verdict = look_up(
            adapter,
            post,
            since=since,
            ledger=ledger,
            delivery_id=delivery.id,
            owner=owner,
            now=now,
            settle=settle,
        )
    except AdapterError as exc:
        rlog.warning("reconcile_lookup_failed", reason=str(exc))
        return Reconciled(delivery.id, item.id, channel.name, "left", str(exc), held=True)
    match verdict.outcome:
        case Outcome.FOUND if thread.replies:
            assert verdict.found is not None
            if not record_main(ledger, delivery.id, verdict.found, owner=owner):
                return done("left", verdict.detail, False)
            thread = ledger.thread(delivery.id)
            return _thread(
                ledger, channel, adapter, delivery, thread, owner, rendered, rlog, **times
            )
        case Outcome.FOUND:
            assert verdict.found is not None
            recorded = ledger.mark_published(
                delivery.id,
                remote_id=verdict.found.remote_id,
                remote_url=verdict.found.remote_url,
                published_at=verdict.found.published_at,
                owner=owner,
                posted=rendered,  # None: the item's fields stand in (`Ledger.mark_published`)
            )
        case Outcome.ABSENT:
            recorded = ledger.release(
                delivery.id, f"interrupted before it was sent ({verdict.detail})", owner=owner
            )
        case Outcome.UNKNOWN:
            reason = f"interrupted mid-post: {verdict.detail}"
            recorded = ledger.mark_unknown(delivery.id, reason, owner=owner)
        case Outcome.WAITING:  # still ours, under the lease `take_over` just gave us
            rlog.info("reconcile_waiting", detail=verdict.detail)
            return Reconciled(
                delivery.id, item.id, channel.name, "waiting", verdict.detail, held=True
            )
        case Outcome.LOST:
            recorded = False
    return done(verdict.outcome.value, verdict.detail, recorded)


def _thread(
    ledger: Ledger,
    channel: ChannelConfig,
    adapter: Adapter,
    delivery: DeliveryView,
    thread: Thread,
    owner: str,
    rendered: Posted | None,
    rlog: Any,
    *,
    now: datetime,
    lease: timedelta,
    settle: timedelta,
) -> Reconciled:
    """A thread whose post is out: resume at its next part (`threads.continue_thread`)."""
    end = continue_thread(
        ledger,
        adapter,
        channel,
        delivery,
        thread,
        owner=owner,
        now=lambda: now,
        lease=lease,
        settle=settle,
        posted=rendered,
        log=rlog,
    )
    rlog.info("reconciled", action=end.action, detail=end.detail)
    return Reconciled(delivery.id, delivery.item_id, channel.name, end.action, end.detail, end.held)
