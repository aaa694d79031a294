"""How `bench/run` shows a run: the table for people, the same as Markdown for
docs/benchmarks.md, and the one-line summary both end with.

A figure that misses its target shows MISSED, one with no target (context, growth) shows
nothing in that column, and a benchmark that failed is a row of its own with the end of its
output, so a broken benchmark is never mistaken for a slow one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from _figures import Figure
from _machine import machine_line

__all__ = ["format_value", "markdown_table", "summary_line", "text_table"]

HEADER = ("benchmark", "backend", "figure", "value", "unit", "target", "holds")
_FIGURE_WIDTH = 68  # the text table cuts longer figure names (the JSON and Markdown keep them)


def format_value(value: float | None) -> str:
    """Enough digits to compare, no more: 1,234 / 56.8 / 4.21 / 0.0123."""
    if value is None:
        return "n/a"
    if isinstance(value, int):  # counts: writes, posts, duplicates
        return f"{value:,}"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.1f}"
    if size >= 0.1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def verdict(figure: Figure) -> str:
    if figure.holds is None:
        return "not measured" if figure.target and figure.value is None else ""
    return "holds" if figure.holds else "MISSED"


def _row(f: Figure) -> tuple[str, ...]:
    return (f.benchmark, f.backend, named(f), format_value(f.value), f.unit, f.target, verdict(f))


def named(f: Figure) -> str:
    """The figure's name, with its scale when the name does not say it: growth figures often
    share a name ("growth: choose with a mix") and differ only in their scale."""
    said = [v for v in (f.scale or {}).values() if f"{v:,}" in f.figure or str(v) in f.figure]
    if not f.scale or len(said) == len(f.scale):
        return f.figure
    return f"{f.figure} @ " + ", ".join(f"{v:,} {k}" for k, v in f.scale.items())


def summary_line(
    figures: Sequence[Figure], failures: Sequence[dict[str, Any]], benchmarks: int
) -> str:
    """'N figures, N targets held, N missed, N benchmarks failed' (and what was not measured)."""
    targets = [f for f in figures if f.target]
    held = sum(1 for f in targets if f.holds is True)
    missed = sum(1 for f in targets if f.holds is False)
    unmeasured = len(targets) - held - missed
    failed = sum(1 for f in failures if f.get("benchmark") != "suite")
    line = (
        f"{len(figures)} figures, {held} of {len(targets)} targets held, {missed} missed"
        + (f", {unmeasured} not measured" if unmeasured else "")
        + f"; {failed} of {benchmarks} benchmarks failed"
    )
    if any(f.get("benchmark") == "suite" for f in failures):
        line += "; the suite itself failed (see above)"
    return line


def text_table(figures: Sequence[Figure], failures: Sequence[dict[str, Any]], summary: str) -> str:
    rows = [HEADER] + [_row(f) for f in figures]
    rows = [(*r[:2], _cut(r[2], _FIGURE_WIDTH), *r[3:]) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    right = {3}  # values line up on the right

    def line(row: Sequence[str]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    out = [line(rows[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows[1:]]
    for failure in failures:
        out.append(f"{failure['benchmark']}  FAILED: {failure['problem']}")
        if failure.get("log"):
            out.append(f"    log: {failure['log']}")
        out += [f"    | {t}" for t in failure.get("tail", [])]
    out.append(summary)
    return "\n".join(out)


def markdown_table(
    figures: Sequence[Figure],
    failures: Sequence[dict[str, Any]],
    machine: dict[str, Any],
    summary: str,
) -> str:
    """The table as docs/benchmarks.md shows it, the machine above and the summary below."""
    out = [f"Machine: {machine_line(machine)}.", ""]
    out.append("| " + " | ".join(h.capitalize() for h in HEADER) + " | Note |")
    out.append("| " + " | ".join("---:" if h == "value" else "---" for h in HEADER) + " | --- |")
    for f in figures:
        cells = [*_row(f), f.note]
        cells[6] = {"MISSED": "**MISSED**"}.get(cells[6], cells[6])
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    for failure in failures:
        cells = [failure["benchmark"], "", f"**failed**: {failure['problem']}", "", "", "", "", ""]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    out += ["", summary + "."]
    return "\n".join(out)


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
