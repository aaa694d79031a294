"""What a slot takes, asked the way the program asks: for tests of the queue and the ledger.

The daemon chooses a slot's item with `EditorialStore.choose` (through `SlotChooser`) and the
`schedule` forecast with `selection.pick` over `Forecast`'s memory; these helpers call those,
with no editorial rules (no mix, no evergreen recycling, no reminders), so a test of the queue
exercises the path a slot takes, not a shortcut only tests would use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from content_queue import Ledger
from content_queue.editorial_store import EditorialStore
from content_queue.forecast import Forecast, Snapshot
from content_queue.selection import Candidate, Rules, pick

__all__ = ["forecast", "next_candidate", "next_in_memory"]

NO_RULES = Rules()


def next_candidate(ledger: Ledger, channel: str, now: datetime) -> Candidate | None:
    """The pending delivery a slot of `channel` at `now` takes, from the database."""
    choice = EditorialStore.of(ledger).choose(channel, now, NO_RULES)
    return None if choice is None else choice.candidate


def next_in_memory(candidates: Iterable[Candidate], now: datetime) -> Candidate | None:
    """The candidate a slot at `now` takes, as the forecast chooses it from memory."""
    return forecast(candidates, [now])[0]


def forecast(candidates: Iterable[Candidate], slots: Sequence[datetime]) -> list[Candidate | None]:
    """What each of `slots` takes, in turn, as `schedule` plays them forward: each slot the
    best candidate eligible at its own time, none taken twice."""
    played = Forecast(Snapshot("c", tuple(candidates)))
    out: list[Candidate | None] = []
    for at in slots:
        choice = pick(played.supply(at), NO_RULES, at)
        if choice is not None:
            played.take(choice, at)
        out.append(None if choice is None else choice.candidate)
    return out
