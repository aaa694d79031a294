"""How one delivery ends within a slot, and above all the endings where the answer is in doubt.

Its own module because these are the steps where a post could go out twice: attempts ran out
after a try that may have reached the network, an answer was lost, a network says "duplicate"
(an earlier attempt may have made it), or the slot stops mid-way. Each either records what is
proved (`in_doubt.look_up` decides what a lookup proves) or leaves the delivery `publishing`
under our lease for reconciliation; none sends again on a guess. Kept together, they can be
read against docs/reliability.md's failure table in one place; the happy path and the retry
loop stay in `publishing`. `DeliveryEndings` is a part of `Publisher` (which mixes it in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from content_queue import Ledger
from content_queue.timeutil import Clock
from content_queue.views import DeliveryView, Thread

from .adapters.base import Adapter, AdapterError, Post, PublishResult
from .in_doubt import Outcome, look_up
from .rendering import posted_record
from .threads import continue_thread, main_part, record_main

if TYPE_CHECKING:
    from .config import Settings

__all__ = ["DeliveryEndings", "Done", "Ended"]


class Done(Enum):
    """How one delivery ended within a slot."""

    PUBLISHED = "published"
    REJECTED = "rejected"  # failed for good: the slot may take the next item
    FAILED = "failed"  # released or left: the slot ends as failed
    PAUSED = "paused"  # auth failed: the channel is paused, the slot ends as skipped
    STOPPED = "stopped"  # a stop was requested mid-way


@dataclass(frozen=True)
class Ended:
    how: Done
    detail: str | None = None


class DeliveryEndings:
    """Record a delivery published, set it aside, or settle it when a try may have posted
    (mixed into `Publisher`, which provides the ledger, identity, clock and settings)."""

    ledger: Ledger
    adapters: dict[str, Adapter]
    settings: Settings
    identity: str
    clock: Clock
    _left: set[int]  # deliveries we left `publishing`: reconciled at the channel's next slot

    def _give_up(
        self,
        adapter: Adapter,
        delivery: DeliveryView,
        post: Post,
        since: datetime,
        last_error: str,
        maybe_out: bool,
        ilog: Any,
    ) -> Ended:
        """Attempts ran out: settle the delivery without ever risking a second post."""
        attempts = self.settings.publishing.max_attempts
        reason = f"{attempts} attempt(s) failed; last: {last_error}"
        if maybe_out:
            try:
                ended = self._in_doubt(adapter, delivery, post, since, reason, ilog)
            except AdapterError as exc:
                reason += f"; lookup failed ({exc}): left for reconciliation"
                self._left.add(delivery.id)
                ilog.error("post_failed", reason=reason)
                return Ended(Done.FAILED, reason)  # still `publishing`, under our lease
            if ended is not None:
                return ended
        self.ledger.release(delivery.id, reason, owner=self.identity)
        ilog.error("post_failed", reason=reason, released=True)
        return Ended(Done.FAILED, reason)

    def _in_doubt(
        self,
        adapter: Adapter,
        delivery: DeliveryView,
        post: Post,
        since: datetime,
        error: str,
        ilog: Any,
    ) -> Ended | None:
        """A try may have posted (`error`): look the post up (`in_doubt.look_up`) and settle
        the delivery by what that proves; None when it proved the post absent (sending it
        again is safe). Raises the adapter's error when the lookup fails for now."""
        verdict = look_up(
            adapter,
            post,
            since=since,
            ledger=self.ledger,
            delivery_id=delivery.id,
            owner=self.identity,
            now=self.clock(),
            settle=self.settings.publishing.settle,
        )
        reason = f"{error}; {verdict.detail}"
        match verdict.outcome:
            case Outcome.FOUND:
                assert verdict.found is not None
                return self._published(delivery, post, verdict.found, ilog, "found after an error")
            case Outcome.ABSENT:
                return None
            case Outcome.UNKNOWN:
                self.ledger.mark_unknown(delivery.id, reason, owner=self.identity)
                ilog.error("post_unknown", reason=reason)
                return Ended(Done.FAILED, f"unknown: {reason}")
            case Outcome.WAITING:  # ours, under our lease: asked again at the next slot
                self._left.add(delivery.id)
                ilog.warning("post_in_doubt", reason=reason)
                return Ended(Done.FAILED, f"in doubt: {reason}")
            case Outcome.LOST:
                ilog.warning("delivery_taken_over", reason=reason)
                return Ended(Done.FAILED, f"taken over by another process; last: {error}")

    @staticmethod
    def _find_duplicate(
        adapter: Adapter, post: Post, since: datetime, ilog: Any
    ) -> PublishResult | None:
        """Our own earlier post that a duplicate rejection refers to, or None (also when the
        lookup fails: the rejection then stands, as the network will refuse a resend anyway)."""
        try:
            return adapter.find_published(post, since=since)
        except AdapterError as exc:
            ilog.warning("duplicate_lookup_failed", reason=str(exc))
            return None

    def _published(
        self,
        delivery: DeliveryView,
        post: Post,
        result: PublishResult,
        ilog: Any,
        note: str | None,
    ) -> Ended:
        """Record the delivery published, with `post` as what went out (its record); for an
        item with replies, record the post as the thread's part 0 and post the replies first
        (`threads`)."""
        thread = self.ledger.thread(delivery.id)
        if thread.replies:
            if main_part(thread) is None:
                if not record_main(self.ledger, delivery.id, result, owner=self.identity):
                    ilog.warning("delivery_taken_over", remote_id=result.remote_id)
                    return Ended(Done.FAILED, "taken over by another process")
                thread = self.ledger.thread(delivery.id)
            return self._thread(delivery, post, thread, ilog, note)
        recorded = self.ledger.mark_published(
            delivery.id,
            remote_id=result.remote_id,
            remote_url=result.remote_url,
            published_at=result.published_at,
            owner=self.identity,
            posted=posted_record(post),
        )
        if not recorded:
            # Our lease ran out and another process took the delivery over: it settles it (its
            # lookup finds this post), so we must not overwrite what it decides.
            ilog.warning("delivery_taken_over", remote_id=result.remote_id)
        ilog.info(
            "post_published", remote_id=result.remote_id, remote_url=result.remote_url, note=note
        )
        return Ended(Done.PUBLISHED, note)

    def _thread(
        self, delivery: DeliveryView, post: Post, thread: Thread, ilog: Any, note: str | None
    ) -> Ended:
        """Post the replies of a thread whose post is out (`threads.continue_thread`)."""
        cfg = self.settings.publishing
        end = continue_thread(
            self.ledger,
            self.adapters[delivery.channel],
            self.settings.channel(delivery.channel),
            delivery,
            thread,
            owner=self.identity,
            now=self.clock,
            lease=cfg.lease,
            settle=cfg.settle,
            posted=posted_record(post),
            log=ilog,
        )
        if end.held:
            self._left.add(delivery.id)
        main = main_part(thread)
        ilog.info("post_published", remote_id=main and main.remote_id, note=note or end.detail)
        if end.action == "published":
            return Ended(Done.PUBLISHED, note or end.detail)
        # The post is out, so the slot was used; the rest of the thread is settled later (or
        # by a person), as the detail says.
        return Ended(Done.PUBLISHED, f"post out; thread {end.action}: {end.detail}")

    def _set_aside(self, delivery: DeliveryView, reason: str, maybe_out: bool) -> None:
        """Stop working on a delivery: back to pending, unless it may be out already, when it
        stays `publishing` for reconciliation (sending it again could post it twice)."""
        if maybe_out:
            self._left.add(delivery.id)
        else:
            self.ledger.release(delivery.id, reason, owner=self.identity)
