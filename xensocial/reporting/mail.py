"""The report as a mail, in the formats a delivery asked for: the one door delivery goes through.

`report_email` is what the daemon's delivery job and `report send` call. The whole message
(the HTML report as the body with the Markdown one as its plain-text alternative, the PDF and
the CSV attached) is `email_message.report_message`'s; this keeps the parts of the delivery's
`formats`: without `html` the body is the plain text alone; without `csv` or `pdf`, that
attachment is left out (and a PDF not wanted is not rendered: WeasyPrint is the slow part).
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage, Message

from .email_message import report_message
from .model import Report

__all__ = ["report_email"]


def report_email(
    report: Report, *, sender: str, recipients: Sequence[str], formats: Sequence[str]
) -> EmailMessage:
    """The message carrying `report` from `sender` to `recipients`, with the parts of
    `formats` (`html`, `csv`, `pdf`; `config.deliveries.DELIVERY_FORMATS`)."""
    unwanted_pdf = None if "pdf" in formats else b""  # dropped below, so never rendered
    message = report_message(report, sender=sender, recipients=recipients, pdf=unwanted_pdf)
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
