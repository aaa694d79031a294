"""The parts of the report as a document: rows, tables and sections of sentences and notes.

The Markdown and HTML renderers draw these, so every format says the same thing in the same
order and only the markup differs. Cells are already formatted text (`formatting`); escaping is
the renderer's job. `layout` makes the period's sections of them, `board` the pages a board
member reads first (the partial-period notice, the quarterly summary, the trends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from . import formatting as fmt
from .model import Report
from .periods import Period

__all__ = ["Row", "Section", "Table", "no_figures", "span", "subtitle", "table", "words"]


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    strong: bool = False  # a total, or the project itself: set apart


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]  # per column: right-aligned figures
    rows: tuple[Row, ...]
    empty: str = "None in this period."


@dataclass(frozen=True)
class Section:
    key: str  # an anchor, and where the HTML report puts a chart
    title: str
    lead: tuple[str, ...]
    tables: tuple[Table, ...]
    notes: tuple[str, ...]


def table(
    caption: str,
    columns: Sequence[tuple[str, bool]],
    rows: Sequence[Row],
    empty: str = "None in this period.",
) -> Table:
    return Table(
        caption, tuple(c for c, _ in columns), tuple(n for _, n in columns), tuple(rows), empty
    )


def words(period: Period) -> tuple[str, str]:
    """How the report names the period before and the same one a year earlier."""
    return (f"previous {period.kind}", f"same {period.kind} last year")


def span(period: Period) -> str:
    last = period.end_day - timedelta(days=1)
    return f"{fmt.day(period.first_day)} to {fmt.day(last)} ({period.zone})"


def subtitle(report: Report) -> str:
    """What the report covers and when it was made, in one sentence."""
    made = fmt.local(report.generated_at, report.period.zone)
    return f"{report.period.name}: {span(report.period)}. Made {made}."


def no_figures(channels: Sequence[str], what: str) -> tuple[str, ...]:
    """One line naming the channels that report no `what`, said instead of their rows of "—"
    (the outbox has no audience; some networks do not give a figure); none without any."""
    if not channels:
        return ()
    names = ", ".join(channels)
    verb = "reports" if len(channels) == 1 else "report"
    return (
        f"{names} {verb} no {what} (the outbox, a network that does not give the figure, or no "
        "reading yet), so the table leaves them out.",
    )
