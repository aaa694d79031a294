"""The one way the program writes CSV: every cell as a spreadsheet should read it, none of them a
formula.

Titles, tags, links and remote ids come from feeds, pages, CSV files and networks. A spreadsheet
opening a CSV file runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, tab or
carriage return) as a formula: `=HYPERLINK("http://x","y")` becomes a link, `+cmd|' /C calc'!A0`
a command (CSV injection; OWASP's rule, followed here). So a text cell that starts with one of
those characters is written with a single quote before it, which spreadsheets show as text and
do not evaluate; the rest of the text is kept as it was.

Only text is neutralised: numbers (a count, a negative growth of -3 or -1.50), dates, true/false
and missing values are written as values, so a spreadsheet still adds them up. `export csv`
(`csv_export`) and the report's CSV (`render_csv`) both write through `CsvWriter`, so the rule
is one rule: a new CSV output must use it too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from typing import IO

__all__ = ["FORMULA_STARTS", "CsvWriter", "cell", "inert"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a text cell may not start with (OWASP's list for CSV injection)."""


def inert(text: str) -> str:
    """`text` as a cell no spreadsheet takes for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: object) -> str:
    """How one value is written: None empty (a figure nobody gave is not 0), booleans
    true/false, floats with two decimals, dates and times in ISO 8601, other numbers as they
    are, and any text through `inert`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return inert(str(value))


class CsvWriter:
    """Rows to `out` as CSV (LF line ends, quoted only where needed), every cell through
    `cell`.

    A row with a carriage return in a cell is written with every cell quoted: Python's csv
    quotes only the line terminator's characters, so with LF line ends a bare CR went out
    unquoted and a reader took it for the end of the row (a hostile title could start a row of
    its own)."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, row: Iterable[object]) -> None:
        cells = [cell(value) for value in row]
        writer = self._quoted if any("\r" in c for c in cells) else self._writer
        writer.writerow(cells)
