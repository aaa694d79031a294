"""The exactly-once publish protocol: what happens at one slot of one channel, and after a crash.

One slot, in order (each ledger step is its own committed transaction):

1. claim the slot in the ledger (unique per channel and slot time: a second claim, by a restart
   or a replica, does nothing). A slot the rules say no to (`xensocial.slot_gate`, which the
   `schedule` forecast asks too: paused, blackout, the daily cap of the *local* day, `min_gap`)
   is still claimed, as `skipped` with the reason, so every decision is visible in the ledger
   (and a slot in a blackout is used up: nothing is caught up when it ends);
2. choose the next item, by the editorial rules (`xensocial.editorial`: pinned, announcement,
   reminder, the content mix, evergreen fill; the reason is logged with the post: `slot_chose`,
   `post_published`), and mark its delivery `publishing` with our identity and a lease, in one
   committed transaction (`Ledger.claim_next`: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so
   replicas never wait on one another nor take the same delivery);
3. (the lease is renewed before every retry, and a retry never starts once another process has
   taken the delivery over);
4. `adapter.publish(post)`, the post carrying the delivery's idempotency key, after its images
   are uploaded, each upload recorded (committed) before the post (`xensocial.uploading`); in
   a thread this is its post (part 0), the only part with images: the replies follow, each its
   own step (`xensocial.threads`), and never upload (a resumed thread skips the uploads too);
5. mark it `published` with the remote id and what the post said (its title, text, link:
   the record every report reads, whatever later edits do), and commit.

A crash between 2 and 5 leaves the delivery `publishing`. Reconciliation (`reconcile.py`, run
at start-up, and before each slot for that channel's expired leases and our own leftovers) asks
the adapter whether the post is out: found -> published; proved absent -> back to pending (safe
to retry); cannot tell -> `unknown`, for a person. A delivery is never sent again blindly. What
a "not found" proves (at once for a reliable lookup, after a settle period and two reads for
X's, never for the others) is decided in one place, `in_doubt.py`, for reconciliation and for
a lost answer within a slot alike; too early to tell, the delivery stays `publishing` under our
lease and is asked again at the channel's next slot.

Errors within a slot: transient ones are retried with exponential backoff (and when the failed
try may have reached the network, the post is looked up before it is sent again); a rejection
fails that delivery and the slot takes the next item; an auth error pauses the channel and keeps
its items; a rate limit is waited out when it ends soon, else the item waits for a later slot.
When the lookup cannot tell whether a post is out, the delivery stays `publishing` for
reconciliation rather than guessing.

How a delivery ends (published, set aside, or settled after a try that may have posted) is in
`xensocial.endings`, mixed into `Publisher`: the steps where a post could go out twice, read
together.

`dry_run` runs the same decisions read-only (`xensocial.dry_run`): nothing is written to the
ledger and no adapter is called; the rendered text is logged instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from content_queue import ContentQueue, Ledger, SlotOutcome
from content_queue.blackouts import Period
from content_queue.timeutil import Clock, system_clock
from content_queue.views import DeliveryView, ItemView

from .adapters.base import (
    Adapter,
    AuthError,
    ChannelBlocked,
    Post,
    RateLimited,
    Rejected,
    TransientError,
)
from .dry_run import dry_run_slot
from .editorial import SlotChooser
from .endings import DeliveryEndings, Done, Ended
from .reconcile import LOOKUP_MARGIN, Reconciled, reconcile_in_flight
from .rendering import make_post
from .slot_gate import SlotFacts, SlotResult, held, local_day_start, slot_gate
from .threads import main_part
from .uploading import LostDelivery, with_media

if TYPE_CHECKING:
    from .config import ChannelConfig, Settings

__all__ = [
    "RATE_LIMIT_MAX_WAIT",
    "Publisher",
    "Reconciled",
    "SlotResult",
    "Sleep",
]

RATE_LIMIT_MAX_WAIT = timedelta(seconds=60)
"""A rate limit that lifts within this is waited out inside the slot; a longer one is not."""

Sleep = Callable[[float], bool]
"""Wait up to `seconds`; False when a stop was requested (like `not threading.Event.wait`)."""

log = structlog.get_logger("xensocial.publishing")


def _never_stop(seconds: float) -> bool:
    threading.Event().wait(seconds)
    return True


class Publisher(DeliveryEndings):
    """Runs slots and reconciles crashed deliveries for the channels it has adapters for.

    Thread-safe for different channels; slots of one channel are serialized (a per-channel
    lock), so one process never works on a channel's delivery twice at once."""

    def __init__(
        self,
        ledger: Ledger,
        adapters: Mapping[str, Adapter],
        settings: Settings,
        *,
        identity: str,
        clock: Clock = system_clock,
        sleep: Sleep = _never_stop,
        dry_run: bool = False,
        queue: ContentQueue | None = None,
        exclusive_identity: bool = True,
    ) -> None:
        """`queue` (the same database) is needed for `dry_run`, to read the items it renders.

        `exclusive_identity` is False when another live process runs under the same identity
        (a misconfiguration the daemon warns about): the deliveries that identity holds under a
        live lease may then be that process's posts under way, so they are left to expire
        instead of being reconciled as ours at start-up."""
        if dry_run and queue is None:
            raise ValueError("a dry run needs the queue to read items from")
        self.ledger = ledger
        self.adapters = dict(adapters)
        self.settings = settings
        self.identity = identity
        self.clock = clock
        self.sleep = sleep
        self.dry_run = dry_run
        self.queue = queue
        self.exclusive_identity = exclusive_identity
        self._locks = {name: threading.Lock() for name in self.adapters}
        self._left: set[int] = set()  # deliveries we left `publishing`: reconciled next slot
        self.chooser = SlotChooser(ledger, settings, identity)

    # -- one slot ----------------------------------------------------------------------------

    def run_slot(
        self, channel: ChannelConfig, slot_at: datetime, *, pinned: bool = False
    ) -> SlotResult:
        """Use the slot `slot_at` (its nominal UTC instant) of `channel`.

        `pinned`: the run of a pinned time (`queue add --at`), claimed in the ledger at that
        instant like a slot. It posts only a pinned item whose time has come; a pause or a
        blackout holds it, the daily cap and the minimum gap do not (a person chose the time).
        """
        slot_at = slot_at.astimezone(UTC)
        with self._locks.setdefault(channel.name, threading.Lock()):
            if self.dry_run:
                assert self.queue is not None  # checked in __init__
                return dry_run_slot(
                    self.ledger,
                    self.chooser,
                    self.queue,
                    self.adapters[channel.name],
                    channel,
                    slot_at,
                    now=self.clock(),
                    gate=lambda: self._gate(channel, slot_at, pinned),
                    pinned=pinned,
                )
            return self._run_slot(channel, slot_at, pinned)

    def _run_slot(self, channel: ChannelConfig, slot_at: datetime, pinned: bool) -> SlotResult:
        name = channel.name
        slog = log.bind(channel=name, slot=slot_at.isoformat())
        self._reconcile_before_slot(name)  # expired leases, and what we left `publishing`
        claim = self.ledger.claim_slot(name, slot_at, self.identity)
        if claim is None:
            slog.info("slot_already_claimed")
            return SlotResult(name, slot_at, None, detail="already claimed")

        def finish(outcome: SlotOutcome, item_id: int | None, detail: str | None) -> SlotResult:
            self.ledger.finish_slot(claim, outcome, item_id=item_id, detail=detail)
            return SlotResult(name, slot_at, outcome, item_id, detail)

        reason = self._gate(channel, slot_at, pinned)
        if reason is not None:
            slog.info("slot_skipped", reason=reason)
            return finish(SlotOutcome.SKIPPED, None, reason)

        rejected: list[str] = []
        for _ in range(self.settings.publishing.max_items_per_slot):
            now = self.clock()
            lease_until = now + self.settings.publishing.lease
            claimed = self.chooser.claim(channel, now, lease_until, pinned=pinned)
            if claimed is None:
                break
            delivery, item, why = claimed.delivery, claimed.item, claimed.reason
            ilog = slog.bind(item_id=item.id, delivery_id=delivery.id, reason=why)
            ilog.info("slot_chose", title=item.title or item.url)
            try:
                ended = self._deliver(channel, delivery, item, ilog)
            except Exception:
                # Most likely the database went away mid-post (the post may be out, its commit
                # is not): ours, under our lease, so settle it at the channel's next slot.
                self._left.add(delivery.id)
                raise
            if ended.how is Done.PUBLISHED:
                return finish(SlotOutcome.PUBLISHED, item.id, ended.detail)
            if ended.how is Done.REJECTED:
                rejected.append(f"item {item.id}: {ended.detail}")
                if not self.sleep(0):  # a stop was requested: no next item
                    break
                continue
            if ended.how is Done.PAUSED:
                return finish(SlotOutcome.SKIPPED, item.id, ended.detail)
            return finish(SlotOutcome.FAILED, item.id, ended.detail)
        if rejected:
            detail = "rejected: " + "; ".join(rejected)
            slog.warning("slot_failed", reason=detail)
            return finish(SlotOutcome.FAILED, None, detail)
        slog.info("slot_empty", reason="no eligible item")
        return finish(SlotOutcome.EMPTY, None, "no eligible item")

    def _gate(self, channel: ChannelConfig, slot_at: datetime, pinned: bool) -> str | None:
        """`slot_gate` (paused, blackout, daily cap, minimum gap; a pinned time the first two)
        on the facts the ledger holds now: why the rules say no to this slot, or None."""
        now, name = self.clock(), channel.name
        facts = SlotFacts(
            pause_note=self.ledger.status(name).note,
            blackouts=self._blackouts(slot_at, now),
            posted_today=self.ledger.published_since(name, local_day_start(channel.zone, slot_at)),
            # Without a minimum gap the latest post does not matter: not read.
            last_post=self.ledger.last_published_at(name) if channel.min_gap else None,
        )
        return slot_gate(channel, slot_at, now, facts, pinned=pinned)

    def held(self, channel: str, slot_at: datetime) -> str | None:
        """Why `channel` posts nothing at `slot_at` whatever its queue holds (`paused: ...`,
        `blackout: ...`; `slot_gate.held`), or None: what the daemon's log and `schedule`
        show."""
        now = self.clock()
        note = self.ledger.status(channel).note
        return held(channel, slot_at, now, note, self._blackouts(slot_at, now))

    def _blackouts(self, slot_at: datetime, now: datetime) -> list[Period]:
        """The blackouts that may hold a slot acted on at `now`: configured, and stored ones
        that end after the slot or now."""
        return [*self.settings.blackouts, *self.ledger.blackouts(ending_after=min(slot_at, now))]

    # -- one delivery ------------------------------------------------------------------------

    def _post(self, channel: ChannelConfig, delivery: DeliveryView, item: ItemView) -> Post:
        return make_post(channel, self.adapters[channel.name], delivery, item)

    def _deliver(
        self,
        channel: ChannelConfig,
        delivery: DeliveryView,
        item: ItemView,
        ilog: Any,
    ) -> Ended:
        """Publish one delivery already `publishing`, with retries; leaves it in its end state."""
        adapter = self.adapters[channel.name]
        cfg = self.settings.publishing
        since = self.clock() - LOOKUP_MARGIN
        try:
            post = self._post(channel, delivery, item)
        except ValueError as exc:  # the item cannot be made into a post for this network
            self.ledger.mark_failed(delivery.id, f"cannot render: {exc}", owner=self.identity)
            ilog.warning("post_rejected", reason=f"cannot render: {exc}")
            return Ended(Done.REJECTED, f"cannot render: {exc}")
        thread = self.ledger.thread(delivery.id)
        if thread.replies and main_part(thread) is not None:
            # A thread taken up again (`queue retry` after a part in doubt): its post is out,
            # so it resumes at the next part and never sends the post again (`threads`).
            return self._thread(delivery, post, thread, ilog, "thread resumed")

        maybe_out = False  # an earlier try may have reached the network
        last_error = ""
        for attempt in range(1, cfg.max_attempts + 1):
            if attempt > 1 and not self.ledger.count_attempt(
                delivery.id, owner=self.identity, lease_until=self.clock() + cfg.lease
            ):
                # Our lease ran out during the wait and another process took the delivery over:
                # it settles it; a call from us now could post it a second time.
                ilog.warning("delivery_taken_over", reason=f"before retry; last: {last_error}")
                return Ended(Done.FAILED, f"taken over by another process; last: {last_error}")
            try:
                if maybe_out:
                    ended = self._in_doubt(adapter, delivery, post, since, last_error, ilog)
                    if ended is not None:
                        return ended
                    maybe_out = False  # proved absent: sending again is safe
                # Each image uploaded (or its recorded upload reused), recorded, then the post.
                sending = with_media(
                    self.ledger, adapter, delivery.id, post, owner=self.identity, now=self.clock()
                )
                result = adapter.publish(sending)
                return self._published(delivery, sending, result, ilog, None)
            except LostDelivery as exc:
                ilog.warning("delivery_taken_over", reason=str(exc))
                return Ended(Done.FAILED, f"taken over by another process: {exc}")
            except Rejected as exc:
                if exc.duplicate:
                    # "Duplicate" may mean an earlier attempt (one whose answer was lost) made
                    # it: then it is published, not failed.
                    found = self._find_duplicate(adapter, post, since, ilog)
                    if found is not None:
                        return self._published(
                            delivery, post, found, ilog, "found after a duplicate"
                        )
                self.ledger.mark_failed(delivery.id, f"rejected: {exc}", owner=self.identity)
                ilog.warning("post_rejected", reason=str(exc), duplicate=exc.duplicate)
                return Ended(Done.REJECTED, str(exc))
            except ChannelBlocked as exc:
                reason = f"auth failed: {exc}" if isinstance(exc, AuthError) else str(exc)
                self.ledger.pause(channel.name, reason=reason, by=self.identity)
                self._set_aside(delivery, reason, maybe_out)
                ilog.error("channel_paused", reason=reason)
                return Ended(Done.PAUSED, reason)
            except RateLimited as exc:
                last_error = f"rate limited: {exc}"
                wait = self._rate_limit_wait(exc)
                if wait is None:
                    until = exc.reset_at.isoformat() if exc.reset_at else "later"
                    reason = f"rate limited until {until}"
                    self._set_aside(delivery, reason, maybe_out)
                    ilog.warning("post_failed", reason=reason, attempt=attempt)
                    return Ended(Done.FAILED, reason)
            except TransientError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                maybe_out = maybe_out or exc.maybe_posted
                wait = self._backoff(attempt)
            if attempt == cfg.max_attempts:
                break
            ilog.warning(
                "post_retry",
                reason=last_error,
                attempt=attempt,
                wait_s=round(wait, 3),
                maybe_posted=maybe_out,
            )
            if not self.sleep(wait):
                reason = f"stopped while retrying after: {last_error}"
                self._set_aside(delivery, reason, maybe_out)
                ilog.warning("post_interrupted", reason=reason)
                return Ended(Done.STOPPED, reason)
        return self._give_up(adapter, delivery, post, since, last_error, maybe_out, ilog)

    def _backoff(self, attempt: int) -> float:
        cfg = self.settings.publishing
        delay = cfg.backoff.total_seconds() * (2 ** (attempt - 1))
        return float(min(delay, cfg.backoff_max.total_seconds()))

    def _rate_limit_wait(self, exc: RateLimited) -> float | None:
        """Seconds to wait for a rate limit within the slot, or None: give up the slot."""
        if exc.reset_at is None:
            return self._backoff(1)
        wait = (exc.reset_at - self.clock()).total_seconds()
        if wait > RATE_LIMIT_MAX_WAIT.total_seconds():
            return None
        return max(wait, 0.0)

    # -- after a crash -----------------------------------------------------------------------

    def reconcile(self) -> list[Reconciled]:
        """Settle every delivery left `publishing` that we may take over (see the module doc)."""
        if self.dry_run:
            for f in self.ledger.in_flight(owner=self.identity, now=self.clock()):
                log.info("dry_run_would_reconcile", channel=f.delivery.channel, item_id=f.item.id)
            return []
        return self._reconcile(own_live=self.exclusive_identity)

    def _reconcile_before_slot(self, channel: str) -> None:
        """Reconcile the deliveries of `channel` that this process left `publishing`, and any
        whose lease has expired (their owner died: a replica still down, or gone for good).
        A live lease of anyone else is another replica's post under way: left alone."""
        # A copy of `_left`: the threads of other channels change the set.
        self._reconcile(channel=channel, own_live=False, also=frozenset(self._left))

    def _reconcile(
        self, *, own_live: bool, channel: str | None = None, also: frozenset[int] = frozenset()
    ) -> list[Reconciled]:
        """`reconcile_in_flight` as us, remembering what it left in our hands (a failed lookup,
        under our fresh lease) to try again at the channel's next slot, instead of waiting for
        our own lease to expire."""
        done = reconcile_in_flight(
            self.ledger,
            self.adapters,
            self.settings,
            identity=self.identity,
            now=self.clock(),
            channel=channel,
            own_live=own_live,
            also=also,
        )
        self._left.difference_update(r.delivery_id for r in done if not r.held)
        self._left.update(r.delivery_id for r in done if r.held)
        return done
