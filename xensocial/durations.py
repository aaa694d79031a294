"""Durations as people write them in the configuration and on the command line: 90s, 5m, 1h30m, 2d."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'1h30m' -> 1:30:00. Raises ValueError naming the expected form (or saying it is too long)."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("expected a duration such as '90s', '5m', '1h30m' or '2d'")
    pos, total = 0, 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(cleaned):
        raise ValueError(f"{text!r} is not a duration; expected e.g. '90s', '5m', '1h30m' or '2d'")
    try:
        return timedelta(seconds=total)
    except OverflowError:  # more than 999,999,999 days: a typo, and no date is that far away
        raise ValueError(f"{text!r} is longer than any duration can be") from None


def format_duration(value: timedelta) -> str:
    """1:30:00 -> '1h30m'; the inverse of `parse_duration` to the millisecond."""
    if value < timedelta(0):
        return "-" + format_duration(-value)
    millis = round(value.total_seconds() * 1000)
    if millis == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        n, millis = divmod(millis, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)
