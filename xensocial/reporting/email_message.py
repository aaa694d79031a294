"""The report as an e-mail: the HTML report as the body, the PDF and the CSV attached.

The board reads the report in its mail program, so the message is the report itself, not a
link: `multipart/mixed` holding a `multipart/alternative` (the Markdown report as plain text,
for programs that show no HTML, then the HTML report) and two attachments, the PDF and the CSV,
named after the project and the period (`xen-report-2026-03.pdf`).

The charts are inline SVG in the HTML body, as in the HTML report: Apple Mail and Thunderbird
draw them, but webmail such as Gmail and Outlook strips SVG, and turning them into PNG would
need a rasteriser (WeasyPrint no longer writes PNG; cairo or a browser would be one more system
dependency). So the body says at its top that the charts are in the attached PDF too, which
every mail program opens: the PDF is where the charts are sure to be seen.

A pure function of the report: it renders every part itself (or takes a PDF already made) and
sends nothing; `notify`'s SMTP sender delivers it. Header values are made from the
configuration's title and addresses; the e-mail package refuses a line break in any of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime

from .model import Report
from .render_csv import render_csv
from .render_html import render_html
from .render_markdown import render_markdown

__all__ = ["attachment_stem", "report_message", "subject"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
CHARTS_NOTE = (
    "The charts are in the attached PDF too, for mail programs that do not show them here; "
    "the CSV holds every figure for a spreadsheet."
)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def subject(report: Report) -> str:
    """`Xen Project status: monthly report, March 2026`: the project, the kind and the period
    (the project's name before it when the title does not hold it); `(partial)` after it when
    the period was not over."""
    title = _one_line(report.title)
    project = _one_line(report.project or "")
    if project and project.casefold() not in title.casefold():
        title = f"{project}: {title}"
    partial = " (partial)" if report.partial else ""
    return f"{title}: {report.period.kind}ly report, {report.period.name}{partial}"


def attachment_stem(report: Report) -> str:
    """The attachments' name without extension, safe in any file system: `xen-report-2026-03`."""
    project = _UNSAFE.sub("-", report.project or "").strip("-.")
    return f"{project}-report-{report.period.label}" if project else f"report-{report.period.label}"


def report_message(
    report: Report,
    *,
    sender: str,
    recipients: Sequence[str],
    pdf: bytes | None = None,
) -> EmailMessage:
    """The message carrying `report` from `sender` to `recipients`. `pdf`: the report's PDF if
    already made (a delivery to several targets renders it once), else rendered here."""
    if pdf is None:
        from .render_pdf import render_pdf

        pdf = render_pdf(report)
    message = EmailMessage()
    message["Subject"] = subject(report)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(report.generated_at)
    message.set_content(f"{CHARTS_NOTE}\n\n{render_markdown(report)}", subtype="plain")
    message.add_alternative(render_html(report, preface=(CHARTS_NOTE,)), subtype="html")
    stem = attachment_stem(report)
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{stem}.pdf")
    message.add_attachment(
        render_csv(report).encode("utf-8"), maintype="text", subtype="csv", filename=f"{stem}.csv"
    )
    return message
