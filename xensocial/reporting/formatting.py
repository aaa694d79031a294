"""Numbers, shares and times as the report shows them to people.

One place, so the Markdown and HTML reports write every figure the same way: thousands
separated by commas, shares with one decimal, a missing figure as "—" (never 0), changes with
their sign, times in the report's zone.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["MISSING", "change", "count", "day", "local", "median", "number", "percent", "signed"]

MISSING = "—"


def number(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def median(value: float | None) -> str:
    """A median of whole figures: whole, or halfway between two (`12.5`)."""
    if value is None:
        return MISSING
    return number(int(value)) if value == int(value) else f"{value:,.1f}"


def count(value: int, word: str, words: str | None = None) -> str:
    """`1 clip`, `3 clips`: a number with its noun (`words` when the plural is irregular)."""
    return f"{value:,} {word if value == 1 else words or word + 's'}"


def percent(value: float | None) -> str:
    return MISSING if value is None else f"{value:.1f} %"


def signed(value: int | None) -> str:
    return MISSING if value is None else f"{value:+,}"


def change(value: int | None, pct: float | None) -> str:
    """`+12 (+4.0 %)`; without a percentage (nothing before), just `+12`."""
    if value is None:
        return MISSING
    return signed(value) if pct is None else f"{value:+,} ({pct:+.1f} %)"


def day(value: date) -> str:
    return value.isoformat()


def local(value: datetime | None, zone: str) -> str:
    """`2026-03-04 09:30 CET`: a stored UTC instant on the report's wall clock."""
    if value is None:
        return MISSING
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
