"""Plain-text tables for the CLI: aligned columns, long cells trimmed, nothing heavy imported.

A dozen lines instead of a rich-text library: `xensocial queue list` must start fast, and its
output must stay readable when piped to a file or a pager (no colours, no box drawing).
"""

from __future__ import annotations

from collections.abc import Sequence

from content_queue.plaintext import visible

__all__ = ["format_table", "trim"]


def trim(text: str, width: int) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis when longer; controls and
    bidi overrides shown escaped (`visible`), so the cut counts what a reader sees."""
    flat = visible(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The rows under their headers, each column as wide as its widest cell. Cells are shown
    escaped (`visible`) before the widths are taken, so a hostile value neither acts on the
    terminal nor breaks the alignment."""
    cells = [[visible(str(h)) for h in headers]] + [
        ["" if c is None else visible(str(c)) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)
