"""What did not go out in a period, and why: failed and unknown deliveries, lost slots.

Two views of the same trouble, because they answer different questions:

- **deliveries** that are `failed` (the network refused the post for good) or `unknown` (it may
  be out; a person must look) and whose last change falls in the period, grouped by channel,
  state and the error recorded (`last_error`): what needs a person;
- **slots** of the period (by their nominal time) that ended `skipped` (paused, daily cap,
  minimum gap), `failed` or `empty` (nothing eligible), grouped by channel, outcome and reason:
  what the schedule lost. The reason is the kind of detail ("daily cap", "paused", ...), since
  the full detail names a day or a time; one full detail is kept as an example.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.engine import Connection

from content_queue.schema import Delivery, DeliveryState, SlotClaim, SlotOutcome

from .channels import ChannelList, channels_with_rows
from .model import DeliveryProblem, ProblemsSection, SlotProblem, text_order
from .periods import Period

__all__ = ["NO_DETAIL", "gather_problems"]

NO_DETAIL = "(no detail)"
# The prefixes `xensocial.publishing` writes before a variable part.
_REASON_PREFIXES = {
    "paused:": "paused",
    "daily cap:": "daily cap",
    "min_gap:": "minimum gap",
    "rejected:": "rejected",
    "unknown:": "unknown",
}


def _reason() -> ColumnElement[str]:
    detail = func.coalesce(SlotClaim.detail, NO_DETAIL)
    return case(
        *(
            (SlotClaim.detail.like(prefix + "%"), label)
            for prefix, label in _REASON_PREFIXES.items()
        ),
        else_=detail,
    )


def gather_problems(conn: Connection, period: Period, posted: ChannelList) -> ProblemsSection:
    """`posted`: every channel with deliveries. Naming the channels lets an index serve each
    query (`channels.py`): the failed and unknown deliveries, and the period's slots."""
    deliveries = list(
        DeliveryProblem(channel, state, error or NO_DETAIL, int(n))
        for channel, state, error, n in conn.execute(
            select(Delivery.channel, Delivery.state, Delivery.last_error, func.count())
            .where(
                posted.holds(Delivery.channel),
                Delivery.state.in_([DeliveryState.FAILED.value, DeliveryState.UNKNOWN.value]),
                Delivery.updated_at >= period.start,
                Delivery.updated_at < period.end,
            )
            .group_by(Delivery.channel, Delivery.state, Delivery.last_error)
        )
    )
    reason = _reason().label("reason")
    slots = list(
        SlotProblem(channel, outcome, str(why), int(n), example or NO_DETAIL)
        for channel, outcome, why, n, example in conn.execute(
            select(
                SlotClaim.channel,
                SlotClaim.outcome,
                reason,
                func.count(),
                func.max(SlotClaim.detail),
            )
            .where(
                SlotClaim.outcome.in_(
                    [SlotOutcome.SKIPPED.value, SlotOutcome.FAILED.value, SlotOutcome.EMPTY.value]
                ),
                # Naming every channel lets the (channel, slot_at) unique index serve the range.
                channels_with_rows(conn, SlotClaim.channel).holds(SlotClaim.channel),
                SlotClaim.slot_at >= period.start,
                SlotClaim.slot_at < period.end,
            )
            .group_by(SlotClaim.channel, SlotClaim.outcome, reason)
        )
    )
    return ProblemsSection(tuple(sorted(deliveries, key=_order)), tuple(sorted(slots, key=_order)))


def _order(
    p: DeliveryProblem | SlotProblem,
) -> tuple[tuple[str, str], str, int, tuple[str, str]]:
    """Per channel, per state or outcome, the most frequent reason first."""
    state = p.state if isinstance(p, DeliveryProblem) else p.outcome
    return text_order(p.channel), state, -p.count, text_order(p.reason)
