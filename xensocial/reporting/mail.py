"""The report as a mail, in the formats a delivery asked for: the one door delivery goes through.

`report_email` is what the daemon's delivery job and `report send` call. It builds the whole
message with `_build` (the HTML report as the body, with the Markdown one as its plain-text
alternative, the CSV and the PDF attached), then keeps the parts of the delivery's `formats`:
without `html` the body is the plain text alone; without `csv` or `pdf`, that attachment is
left out.

`_build` is, for now, a stand-in of this module (HTML from `render_html`, CSV from
`render_csv`, no PDF yet): the PDF renderer and the message that carries it are being built
beside this (`report --format pdf`); when they land, `_build` becomes their builder and nothing
else here changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.message import EmailMessage, Message
from email.utils import format_datetime

from .model import Report

__all__ = ["report_email", "subject"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def subject(report: Report) -> str:
    """`Xen Project status: monthly report, March 2026`, on one line."""
    title = " ".join(report.title.split())
    return f"{title}: {report.period.kind}ly report, {report.period.name}"


def _stand_in(report: Report, *, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """The message without a PDF: the HTML report and the CSV (see the module docstring)."""
    from .render_csv import render_csv
    from .render_html import render_html
    from .render_markdown import render_markdown

    message = EmailMessage()
    message["Subject"] = subject(report)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(report.generated_at)
    message.set_content(render_markdown(report), subtype="plain")
    message.add_alternative(render_html(report), subtype="html")
    project = _UNSAFE.sub("-", report.project or "").strip("-.")
    stem = f"{project}-report-{report.period.label}" if project else f"report-{report.period.label}"
    message.add_attachment(
        render_csv(report).encode("utf-8"), maintype="text", subtype="csv", filename=f"{stem}.csv"
    )
    return message


_build = _stand_in  # the builder of the whole message (see the module docstring)


def report_email(
    report: Report, *, sender: str, recipients: Sequence[str], formats: Sequence[str]
) -> EmailMessage:
    """The message carrying `report` from `sender` to `recipients`, with the parts of
    `formats` (`html`, `csv`, `pdf`; `config.deliveries.DELIVERY_FORMATS`)."""
    message = _build(report, sender=sender, recipients=recipients)
    kept: list[Message | str] = []
    for part in message.iter_parts():
        if part.get_content_type() == "multipart/alternative" and "html" not in formats:
            part = next(p for p in part.iter_parts() if p.get_content_type() == "text/plain")
        elif part.get_content_disposition() == "attachment":
            extension = (part.get_filename() or "").rpartition(".")[2]
            if extension not in formats:
                continue
        kept.append(part)
    message.set_payload(kept)
    return message
