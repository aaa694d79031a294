"""One report, any format: the name of a format -> the text of the report in it.

Each renderer is imported only when asked for, so producing Markdown never loads the HTML and
chart code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports FORMATS at start: nothing heavier may come with it
    from .model import Report

__all__ = ["FORMATS", "render"]

FORMATS = ("md", "html", "csv", "json")


def render(report: Report, fmt: str) -> str:
    """`report` as `fmt` (one of FORMATS); ValueError for anything else."""
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
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
