"""The editorial fields of an item as staff type them: evergreen, alternate text, a pinned time,
an event date, checked before anything is written (`queue add`, `queue edit` and the web
console's forms call `read_editorial`).

Each refusal names the option: a pinned time must be in the future, never before the embargo
(`--not-before`), and before the item expires and its event; an event must be in the future.
The queue checks the same rules again (`content_queue.queue.check_editorial_times`), for edits
where the item's stored times count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .timeinput import local_time, parse_when

if TYPE_CHECKING:
    from .config import Settings

__all__ = ["CLEAR_WORDS", "EditorialInput", "read_editorial"]

CLEAR_WORDS = {"none", "never", "-"}


@dataclass(frozen=True)
class EditorialInput:
    """The options as given: None is "not given"; `clear_at` / `clear_event` mean 'none'."""

    evergreen: bool | None = None
    alt_text: str | None = None
    at: datetime | None = None
    event_at: datetime | None = None
    clear_at: bool = False
    clear_event: bool = False

    def changes(self) -> dict[str, Any]:
        """As `ContentQueue.edit_item` changes (only what was given)."""
        out: dict[str, Any] = {}
        if self.evergreen is not None:
            out["evergreen"] = self.evergreen
        if self.alt_text is not None:
            out["alt_text"] = self.alt_text
        if self.at is not None or self.clear_at:
            out["publish_at"] = self.at
        if self.event_at is not None or self.clear_event:
            out["event_at"] = self.event_at
        return out


def read_editorial(
    settings: Settings,
    now: datetime,
    *,
    evergreen: bool | None,
    alt_text: str | None,
    at: str | None,
    event_date: str | None,
    editing: bool,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> EditorialInput:
    """The options parsed and checked against now and (for `queue add`) the item's own
    `--not-before` and `--expires`; UsageError naming the option otherwise."""
    zone = settings.timezone

    def when(value: str | None, option: str) -> tuple[datetime | None, bool]:
        if value is None:
            return None, False
        if editing and value.strip().lower() in CLEAR_WORDS:
            return None, True
        instant = parse_when(value, zone=zone, now=now, option=option)
        if instant <= now:
            raise UsageError(f"{option}: {local_time(instant, zone)} is in the past")
        return instant, False

    pinned, clear_at = when(at, "--at")
    event, clear_event = when(event_date, "--event-date")
    if pinned is not None and not_before is not None and pinned < not_before:
        raise UsageError(
            f"--at {local_time(pinned, zone)} is before --not-before "
            f"{local_time(not_before, zone)}: an embargo is never broken; pin it later"
        )
    if pinned is not None and expires_at is not None and pinned >= expires_at:
        raise UsageError("--at must be before --expires")
    if pinned is not None and event is not None and pinned >= event:
        raise UsageError("--at must be before --event-date: nothing is posted about a past event")
    if event is not None and expires_at is not None and expires_at > event:
        raise UsageError(
            "--expires must not be after --event-date: nothing is posted about a past event"
        )
    if alt_text is not None and not editing and not alt_text.strip():
        raise UsageError("--alt-text: give the words, or leave the option out")
    return EditorialInput(evergreen, alt_text, pinned, event, clear_at, clear_event)
