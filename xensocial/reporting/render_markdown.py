"""The report as Markdown (GitHub-flavoured tables), for e-mail, wikis and issue trackers.

Every text that came from outside (titles from feeds, outlets, errors) is escaped: Markdown
punctuation is backslashed and `<`, `>`, `&` become entities, so a title can neither break a
table nor smuggle HTML into a page that renders the Markdown. Charts are in the HTML and PDF
reports; their numbers are in the tables here (the trends table for the twelve months).
"""

from __future__ import annotations

import re

from .board import document_sections, notices, summary
from .document import Section, Table, subtitle
from .layout import headline
from .model import Report

__all__ = ["escape", "render_markdown"]

# Enough to keep a text literal inside a line: emphasis, code, links, tables, strikethrough.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


_PLAIN = re.compile(r"(?:[^\\`*_\[\]|~&<>\s]+(?: [^\\`*_\[\]|~&<>\s]+)*)?")


def escape(text: str) -> str:
    """`text` as literal Markdown inline text, on one line."""
    if _PLAIN.fullmatch(text):  # most cells ("1,234", "masto"): nothing to do
        return text
    flat = " ".join(text.split()).translate(_ENTITIES)
    return _SPECIAL.sub(r"\\\1", flat)


def _table(table: Table) -> list[str]:
    title = f"**{escape(table.caption)}**"
    if not table.rows:
        return [f"{title}: {escape(table.empty)}", ""]
    lines = [title, "", "| " + " | ".join(escape(c) for c in table.columns) + " |"]
    lines.append("|" + "|".join("---:" if n else "---" for n in table.numeric) + "|")
    for row in table.rows:
        cells = [escape(c) for c in row.cells]
        if row.strong:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _section(section: Section) -> list[str]:
    lines = [f"## {escape(section.title)}", ""]
    for sentence in section.lead:
        lines += [escape(sentence), ""]
    for table in section.tables:
        lines += _table(table)
    if section.notes:
        lines += ["> " + "\n>\n> ".join(escape(n) for n in section.notes), ""]
    return lines


def render_markdown(report: Report) -> str:
    period = report.period
    lines = [f"# {escape(report.title)}: {escape(period.name)}", ""]
    lines += [line for notice in notices(report) for line in (f"> **{escape(notice)}**", "")]
    lines += [escape(subtitle(report)), ""]
    first = summary(report)
    if first is not None:
        lines += _section(first)
    lines += [f"- **{escape(what)}:** {escape(value)}" for what, value in headline(report)]
    lines.append("")
    for section in document_sections(report):
        lines += _section(section)
    return "\n".join(lines).rstrip("\n") + "\n"
