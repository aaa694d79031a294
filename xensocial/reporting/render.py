"""One report, any format: the name of a format -> the report in it.

Each renderer is imported only when asked for, so producing Markdown never loads the HTML and
chart code, nor the PDF's WeasyPrint. Four formats are text (`render`); the PDF is bytes, so
`render_bytes` gives every format as the bytes of its file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports FORMATS at start: nothing heavier may come with it
    from .model import Report

__all__ = ["BINARY_FORMATS", "FORMATS", "TEXT_FORMATS", "render", "render_bytes"]

TEXT_FORMATS = ("md", "html", "csv", "json")
BINARY_FORMATS = ("pdf",)
FORMATS = TEXT_FORMATS + BINARY_FORMATS


def render(report: Report, fmt: str) -> str:
    """`report` as `fmt` (one of TEXT_FORMATS); ValueError for anything else."""
    if fmt == "md":
        from .render_markdown import render_markdown

        return render_markdown(report)
    if fmt == "html":
        from .render_html import render_html

        return render_html(report)
    if fmt == "csv":
        from .render_csv import render_csv

        return render_csv(report)
    if fmt == "json":
        from .render_json import render_json

        return render_json(report)
    raise ValueError(
        f"unknown text format {fmt!r} for a report; expected one of {', '.join(TEXT_FORMATS)}"
    )


def render_bytes(report: Report, fmt: str) -> bytes:
    """`report` as the bytes of a `fmt` file (one of FORMATS; text in UTF-8)."""
    if fmt == "pdf":
        from .render_pdf import render_pdf

        return render_pdf(report)
    return render(report, fmt).encode("utf-8")
