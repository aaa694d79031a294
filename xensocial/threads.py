"""A thread's replies, posted part by part, each its own step of the exactly-once protocol.

An item with replies (`queue add --reply`) is posted on a channel as its post (part 0) and then
each reply, in order, as an answer to the part before: a thread on X, Mastodon and Bluesky, the
first comment(s) under the post on Facebook and LinkedIn (`Adapter.replies_as`). The delivery
stays `publishing`, under its owner's lease, until the last part is out; each part is committed
`publishing` before its network call and `published`, with its remote id, after it
(`content_queue.thread_store`). So:

- a crash between parts leaves the delivery `publishing`: reconciliation reads which parts are
  out and resumes at the next one (`continue_thread`, called by the publisher right after the
  post, and by reconciliation after a crash); an earlier part is never sent again;
- a part whose answer was lost (a crash mid-call, a read timeout) is in doubt, and is looked up
  and judged by the same rule as a post (`in_doubt.look_up`: found -> recorded; proved absent
  -> sent; cannot tell -> `unknown`, for a person; too early on X -> asked again later);
- a part that fails for now (a timeout before it was sent, a 5xx, a paused channel) is left for
  the channel's next reconciliation pass, which resumes the thread there;
- a part the network refuses for good ends the thread: the delivery is published (its post is
  out), with the refusal in its last error and on the part.

Only when the last part is out is the delivery marked `published` (with its post's remote id,
and what the post said): the ledger never calls a half-posted thread done, and `queue show`
lists each part's remote id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from content_queue.thread_store import PART_FAILED, PART_PUBLISHED, PART_PUBLISHING
from content_queue.views import Thread

from .adapters.base import (
    AdapterError,
    ChannelBlocked,
    Post,
    PublishResult,
    Rejected,
    ReplyTo,
    TransientError,
)
from .in_doubt import LOOKUP_MARGIN, Outcome, look_up
from .rendering import make_replies

if TYPE_CHECKING:
    from content_queue import Ledger
    from content_queue.views import DeliveryView, PartView, Posted

    from .adapters.base import Adapter
    from .config import ChannelConfig

__all__ = ["ThreadEnd", "continue_thread", "main_part", "record_main"]


@dataclass(frozen=True)
class ThreadEnd:
    """How `continue_thread` left the delivery.

    `action`: "published" (every part out, or the thread ended at a refused part), "unknown"
    (a part in doubt that no lookup can settle: a person decides), "waiting" (a part not found
    yet on X: too early to believe), "left" (a part failed for now, or the delivery was taken
    over). `held`: still `publishing` under our lease, to resume at the channel's next pass."""

    action: str
    detail: str
    held: bool = False


def main_part(thread: Thread) -> PublishResult | None:
    """The thread's post (part 0) as recorded out, or None when it is not yet."""
    part = thread.part(0)
    if part is None or part.state != PART_PUBLISHED or part.remote_id is None:
        return None
    return _result(part)


def _result(part: PartView) -> PublishResult:
    assert part.remote_id is not None and part.published_at is not None
    return PublishResult(part.remote_id, part.remote_url, part.published_at, part.remote_ref)


def record_main(ledger: Ledger, delivery_id: int, result: PublishResult, *, owner: str) -> bool:
    """Record the thread's post (part 0) out, before any reply is sent."""
    return _record(ledger, delivery_id, 0, result, owner)


def _record(ledger: Ledger, delivery_id: int, position: int, r: PublishResult, owner: str) -> bool:
    return ledger.finish_part(
        delivery_id,
        position,
        owner=owner,
        remote_id=r.remote_id,
        remote_url=r.remote_url,
        remote_ref=r.remote_ref,
        published_at=r.published_at,
    )


def continue_thread(
    ledger: Ledger,
    adapter: Adapter,
    channel: ChannelConfig,
    delivery: DeliveryView,
    thread: Thread,
    *,
    owner: str,
    now: Any,
    lease: timedelta,
    settle: timedelta,
    posted: Posted | None,
    log: Any,
) -> ThreadEnd:
    """Post the replies of `delivery` not yet out, in order, after its post (recorded as part 0),
    and mark the delivery `published` once the last is out. `now` is the clock (a callable).

    Never sends a part recorded out, nor one in doubt before a lookup proved it absent."""
    main = main_part(thread)
    assert main is not None, "the thread's post must be recorded out first"
    root = parent = main
    refused: str | None = None
    replies = make_replies(channel, delivery, thread.replies, link=thread.link)
    if posted is not None and not posted.url and replies[0].url:  # the link went in reply 1
        posted = replace(posted, url=replies[0].url)
    for position, post in enumerate(replies, 1):
        part = thread.part(position)
        if part is not None and part.state == PART_PUBLISHED:
            parent = _result(part)
            continue
        if part is not None and part.state == PART_FAILED:
            refused = f"reply {position} refused: {part.detail}"
            break
        post = replace(post, reply_to=_reply_to(parent, root))
        plog = log.bind(part=position, of=len(thread.replies) + 1)
        if part is not None and part.state == PART_PUBLISHING:  # its answer was lost
            found, end = _settle_part(ledger, adapter, delivery, post, part, owner, now, settle)
            if end is not None:
                plog.warning("thread_part_in_doubt", action=end.action, reason=end.detail)
                return end
            if found is not None:
                parent = found
                plog.info("thread_part_found", remote_id=found.remote_id)
                continue
        if not ledger.begin_part(delivery.id, position, owner=owner, lease_until=now() + lease):
            return ThreadEnd("left", f"part {position}: another process took the delivery over")
        try:
            result = adapter.publish(post)
        except Rejected as exc:
            found = _duplicate_of(adapter, post, now() - LOOKUP_MARGIN) if exc.duplicate else None
            if found is None:
                refused = f"reply {position} refused: {exc}"
                ledger.finish_part(delivery.id, position, owner=owner, failed=str(exc))
                plog.warning("thread_part_rejected", reason=str(exc))
                break
            result = found
        except TransientError as exc:
            if not exc.maybe_posted:  # never reached the network: sent afresh next time
                ledger.drop_part(delivery.id, position, owner=owner)
            plog.warning("thread_part_failed", reason=str(exc), maybe_posted=exc.maybe_posted)
            return ThreadEnd("left", f"part {position}: {exc}; resumed later", held=True)
        except ChannelBlocked as exc:
            ledger.drop_part(delivery.id, position, owner=owner)
            ledger.pause(channel.name, reason=str(exc), by=owner)
            plog.error("channel_paused", reason=str(exc))
            return ThreadEnd("left", f"part {position}: {exc}", held=True)
        if not _record(ledger, delivery.id, position, result, owner):
            return ThreadEnd("left", f"part {position}: another process took the delivery over")
        plog.info("thread_part_published", remote_id=result.remote_id)
        parent = result
    recorded = ledger.mark_published(
        delivery.id,
        remote_id=main.remote_id,
        remote_url=main.remote_url,
        published_at=main.published_at,
        owner=owner,
        posted=posted,
        error=refused,
    )
    if not recorded:
        return ThreadEnd("left", "another process took the delivery over")
    return ThreadEnd("published", refused or f"a thread of {len(thread.replies) + 1} parts")


def _duplicate_of(adapter: Adapter, post: Post, since: datetime) -> PublishResult | None:
    """Our own earlier part that a "duplicate" refusal refers to (a lost answer), or None."""
    try:
        return adapter.find_published(post, since=since)
    except AdapterError:
        return None


def _reply_to(parent: PublishResult, root: PublishResult) -> ReplyTo:
    return ReplyTo(parent.remote_id, root.remote_id, parent.remote_ref, root.remote_ref)


def _settle_part(
    ledger: Ledger,
    adapter: Adapter,
    delivery: DeliveryView,
    post: Post,
    part: PartView,
    owner: str,
    now: Any,
    settle: timedelta,
) -> tuple[PublishResult | None, ThreadEnd | None]:
    """A part begun whose answer was lost: (found, None) when it is out (recorded here),
    (None, None) when it proved absent (sent afresh), else (None, how the thread stops)."""
    position = part.position
    attempted: datetime = part.attempted_at or now()
    try:
        verdict = look_up(
            adapter,
            post,
            since=attempted - LOOKUP_MARGIN,
            ledger=ledger,
            delivery_id=delivery.id,
            owner=owner,
            now=now(),
            settle=settle,
        )
    except AdapterError as exc:
        return None, ThreadEnd("left", f"part {position}: lookup failed ({exc})", held=True)
    detail = f"part {position} of the thread: {verdict.detail}"
    match verdict.outcome:
        case Outcome.FOUND:
            assert verdict.found is not None
            if not _record(ledger, delivery.id, position, verdict.found, owner):
                return None, ThreadEnd("left", "another process took the delivery over")
            return verdict.found, None
        case Outcome.ABSENT:
            ledger.drop_part(delivery.id, position, owner=owner)
            return None, None
        case Outcome.UNKNOWN:
            ledger.mark_unknown(delivery.id, f"interrupted mid-thread: {detail}", owner=owner)
            return None, ThreadEnd("unknown", detail)
        case Outcome.WAITING:
            return None, ThreadEnd("waiting", detail, held=True)
        case Outcome.LOST:
            return None, ThreadEnd("left", detail)
    raise AssertionError(verdict.outcome)  # pragma: no cover - every outcome is matched above
