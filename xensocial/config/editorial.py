"""Editorial control in the configuration: the `[editorial]` table and each channel's mix.

    [editorial]
    evergreen_categories = ["resource"]     # items of these categories are evergreen by default
    recycle_after = "60d"                   # an evergreen item goes out again after this long
    max_repeats = 3                         # ... at most this many times per channel
    fill_with_evergreen = true              # false: evergreen items are never posted again
    event_reminders = ["7d", "1d"]          # reminders this long before an event ([]: none)
    reminder_text = "Reminder: {title} — {date}"

    [[channels]]
    mix = { news = 0.4, resource = 0.3, article = 0.2, event = 0.1 }
    mix_window = "14d"

The shares of a mix are weights, normalised to sum to 1 (see `content_queue.mix`); each must be
a number above zero. `announcement` cannot be in a mix: announcements go ahead of it. What the
rules do is in docs/editorial.md; the policy itself is in `content_queue.selection`.

Nothing here imports SQLAlchemy: every command reads the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from content_queue.events import DEFAULT_REMINDERS
from content_queue.mix import DEFAULT_WINDOW, Mix
from content_queue.recycling import RecycleRules
from content_queue.selection import ANNOUNCEMENT, Rules

from ..durations import parse_duration
from .fields import FieldReader

__all__ = [
    "DEFAULT_REMINDER_TEXT",
    "EDITORIAL_KEYS",
    "EditorialConfig",
    "parse_editorial",
    "parse_mix",
    "rules_for",
]

EDITORIAL_KEYS = {
    "evergreen_categories",
    "recycle_after",
    "max_repeats",
    "fill_with_evergreen",
    "event_reminders",
    "reminder_text",
}
DEFAULT_REMINDER_TEXT = "Reminder: {title} — {date}"
REMINDER_PLACEHOLDERS = ("title", "date")


@dataclass(frozen=True)
class EditorialConfig:
    """Validated `[editorial]` settings."""

    evergreen_categories: frozenset[str] = frozenset()
    recycle_after: timedelta = timedelta(days=60)
    max_repeats: int = 3
    fill_with_evergreen: bool = True
    event_reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    reminder_text: str = DEFAULT_REMINDER_TEXT


def rules_for(editorial: EditorialConfig, mix: Mix | None) -> Rules:
    """The selection rules of a channel with `mix` under `editorial`."""
    recycle = (
        RecycleRules(editorial.recycle_after, editorial.max_repeats)
        if editorial.fill_with_evergreen
        else None
    )
    return Rules(mix=mix, recycle=recycle, reminders=editorial.event_reminders)


def _check_reminder_text(reader: FieldReader, text: Any, key: str) -> str:
    import string

    if not isinstance(text, str) or not text.strip():
        raise reader.fail(key, f"expected a text such as {DEFAULT_REMINDER_TEXT!r}, got {text!r}")
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise reader.fail(
            key, f"malformed ({exc}); write a literal brace as {{{{ or }}}}"
        ) from None
    unknown = [f for f in fields if f not in REMINDER_PLACEHOLDERS]
    if unknown:
        raise reader.fail(
            key, f"unknown placeholder {{{unknown[0]}}}; expected {{title}} and {{date}}"
        )
    return text


def parse_editorial(reader: FieldReader, table: Any) -> EditorialConfig:
    """Check the `[editorial]` table (absent: `{}`); errors name the key."""
    if not isinstance(table, Mapping):
        raise reader.fail("editorial", "expected an [editorial] table")
    reader.check_keys(table, EDITORIAL_KEYS, "editorial.")
    d = EditorialConfig()
    categories = table.get("evergreen_categories", [])
    if not isinstance(categories, list) or not all(
        isinstance(c, str) and c.strip() for c in categories
    ):
        raise reader.fail(
            "editorial.evergreen_categories",
            f'expected a list of categories such as ["resource"], got {categories!r}',
        )
    recycle_after = reader.duration(table, "recycle_after", d.recycle_after, "editorial.")
    if recycle_after <= timedelta(0):
        raise reader.fail(
            "editorial.recycle_after", "expected a duration above zero, such as '60d'"
        )
    repeats = reader.whole(table, "max_repeats", d.max_repeats, 0, "editorial.")
    fill = table.get("fill_with_evergreen", d.fill_with_evergreen)
    if not isinstance(fill, bool):
        raise reader.fail("editorial.fill_with_evergreen", f"expected true or false, got {fill!r}")
    return EditorialConfig(
        evergreen_categories=frozenset(c.strip().lower() for c in categories),
        recycle_after=recycle_after,
        max_repeats=repeats,
        fill_with_evergreen=fill,
        event_reminders=_reminders(reader, table.get("event_reminders")),
        reminder_text=_check_reminder_text(
            reader, table.get("reminder_text", d.reminder_text), "editorial.reminder_text"
        ),
    )


def _reminders(reader: FieldReader, raw: Any) -> tuple[timedelta, ...]:
    key = "editorial.event_reminders"
    if raw is None:
        return DEFAULT_REMINDERS
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        raise reader.fail(key, 'expected a list of durations such as ["7d", "1d"] ([] for none)')
    try:
        offsets = sorted({parse_duration(r) for r in raw}, reverse=True)
    except ValueError as exc:
        raise reader.fail(key, str(exc)) from None
    if any(o <= timedelta(0) for o in offsets):
        raise reader.fail(key, "every reminder must be some time before the event, above zero")
    return tuple(offsets)


def parse_mix(reader: FieldReader, table: Mapping[str, Any], prefix: str) -> Mix | None:
    """A channel's `mix` and `mix_window` (`prefix` is `channels[N].`); None without a mix."""
    window = reader.duration(table, "mix_window", DEFAULT_WINDOW, prefix)
    if "mix" not in table:
        return None
    raw = table["mix"]
    expected = "expected a table of category = share, such as { news = 0.6, resource = 0.4 }"
    if not isinstance(raw, Mapping) or not raw:
        raise reader.fail(prefix + "mix", expected)
    for category, share in raw.items():
        if category.strip().lower() == ANNOUNCEMENT:
            raise reader.fail(
                f"{prefix}mix.{category}",
                "announcements go ahead of the mix at every slot; leave them out of it",
            )
        if isinstance(share, bool) or not isinstance(share, int | float) or not share > 0:
            raise reader.fail(
                f"{prefix}mix.{category}", f"expected a share above zero such as 0.4, got {share!r}"
            )
    try:
        return Mix.of(raw, window)
    except ValueError as exc:
        key = "mix_window" if "window" in str(exc) else "mix"
        raise reader.fail(prefix + key, str(exc)) from None
