"""What an item's fields may hold so that both databases store them: checked before writing.

SQLite stores almost anything; PostgreSQL refuses a category longer than its column, a priority
outside a 32-bit integer and a NUL character in any text, with a database error (exit 1) instead
of a clear refusal (exit 2). The queue checks these limits for every item it adds or edits, and
the CLI declares its options with the same bounds, so bad input is refused the same way on both
backends. Light on purpose (no SQLAlchemy): the CLI reads these numbers when it starts.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_CATEGORY",
    "MAX_ITEM_ID",
    "PRIORITY_MAX",
    "PRIORITY_MIN",
    "nul_problem",
    "priority_problem",
    "year_problem",
]

MAX_CATEGORY = 40  # items.category and feeds.category are VARCHAR(40)
PRIORITY_MIN, PRIORITY_MAX = -(2**31), 2**31 - 1  # INTEGER on PostgreSQL
MAX_ITEM_ID = 2**63 - 1  # the largest integer SQLite (and a PostgreSQL bigint) can compare
# The years a date may fall in. Python's dates end with 9999: an instant in 9999 (or in year 1)
# overflows once shown in a zone a day away, so a value kept in 1..9998 can always be converted,
# displayed and compared; the command line and the configuration refuse anything else.
FIRST_YEAR, LAST_YEAR = 1, 9998


def priority_problem(priority: int) -> str | None:
    """Why `priority` cannot be stored, or None."""
    if PRIORITY_MIN <= priority <= PRIORITY_MAX:
        return None
    return (
        f"{priority} is out of range; expected a whole number from {PRIORITY_MIN} to {PRIORITY_MAX}"
    )


def nul_problem(fields: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """The first (name, problem) of `fields` holding a NUL character, or None."""
    for name, value in fields:
        if "\x00" in value:
            return name, "contains a NUL character (a binary file, or a bad copy and paste?)"
    return None


def year_problem(year: int) -> str | None:
    """Why a date in `year` cannot be taken (see FIRST_YEAR), or None."""
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"year {year} is out of range; dates must fall in the years {FIRST_YEAR} to {LAST_YEAR}"
