"""The report as a PDF and as an e-mail: opened with a PDF library and read back.

WeasyPrint prints the HTML report; pypdf (a separate library) opens the result, so the test
reads what a board member's PDF viewer reads: the pages and the text on them, chart labels
included (the SVG charts are drawn as vectors with their text). The e-mail message is parsed
back from its bytes with the standard library's parser, as a mail program would.

WeasyPrint needs the Pango library and a font from the system: without them the tests that
print are skipped, with the reason, except under CI=true, where that is a failure (`.ci/run`
installs Debian's packages).
"""

from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from tests.cli.conftest import CliHarness
from tests.conftest import FakeClock
from xensocial.reporting.build import build_report
from xensocial.reporting.email_message import report_message
from xensocial.reporting.model import Report
from xensocial.reporting.periods import parse_month, parse_quarter
from xensocial.reporting.render_pdf import PANGO_PACKAGES, PdfUnavailable, render_pdf

from .conftest import CHANNELS, CONFIG, ZONE, at, march_2026
from .test_cli import cli  # noqa: F401  (the fixture: a configuration and March's data)


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def pango() -> None:
    """Skips (or fails under CI=true) when WeasyPrint cannot load Pango; then `render_pdf` must
    say which packages to install."""
    try:
        import weasyprint  # noqa: F401
    except OSError:
        with pytest.raises(PdfUnavailable, match=PANGO_PACKAGES):
            render_pdf(None)  # type: ignore[arg-type]  # fails before reading the report
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and Pango is not installed (.ci/run installs {PANGO_PACKAGES})")
        pytest.skip(f"WeasyPrint cannot load Pango (Debian: apt-get install {PANGO_PACKAGES})")


@pytest.fixture
def reports(engine: Engine, clock: FakeClock, pango: None) -> dict[str, Report]:
    march_2026(engine, clock)
    now = at("2026-04-02 07:00")
    return {
        "month": build_report(engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=now),
        "quarter": build_report(engine, parse_quarter("2026-Q1", ZONE), CONFIG, CHANNELS, now=now),
        "partial": build_report(
            engine, parse_month("2026-03", ZONE), CONFIG, CHANNELS, now=at("2026-03-15 07:00")
        ),
    }


def test_the_pdf_carries_the_report_and_its_charts(reports: dict[str, Report]) -> None:
    pages = _pages(render_pdf(reports["month"]))
    text = " ".join(pages)
    assert pages[0].startswith("Test status: March 2026")
    assert "2026-03-01 to 2026-03-31 (Europe/Amsterdam)" in pages[0]
    assert "Posts published 11 (previous month: 2)" in text
    assert "masto 1,200 1,000 +200 (+20.0 %)" in text  # the followers table
    assert "news reports no engagement figures" in text
    # The charts' own text, drawn in the PDF: axes, legends and captions.
    assert "Apr 25" in text and "Mar 26" in text and "100 %" in text
    assert "Followers at the end of each month over twelve months" in text
    assert "Press clips per month: 2026 (up to the report's month) against 2025." in text
    assert "Interactions per channel (likes + reposts + replies + quotes)." in text
    assert f"1 / {len(pages)}" in pages[0]  # every page carries its number
    assert "Partial" not in text


def test_the_quarterly_summary_is_page_one(reports: dict[str, Report]) -> None:
    pages = _pages(render_pdf(reports["quarter"]))
    first = pages[0]
    assert first.startswith("Test status: Q1 2026")
    assert "Summary of Q1 2026" in first and "Key figures" in first
    assert "Posts published 13 0 (previous quarter) +13" in first
    assert "Followers at the end 6,700 900 (three months before) +5,800 (+644.4 %)" in first
    assert "Trends over twelve months" not in first and "Engagement per channel" not in first
    assert "Trends over twelve months" in pages[1]  # the rest begins on page 2


def test_a_partial_month_says_so_on_page_one(reports: dict[str, Report]) -> None:
    first = _pages(render_pdf(reports["partial"]))[0]
    assert "Partial month: March 2026 is not over." in first
    assert first.index("Partial month") < first.index("Made 2026-03-15 08:00 CET")


def test_the_email_message_carries_html_pdf_and_csv(reports: dict[str, Report]) -> None:
    report = reports["month"]
    message = report_message(report, sender="reports@xenproject.example",
                             recipients=["board@xenproject.example", "chair@xenproject.example"])  # fmt: skip
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "xen: Test status: monthly report, March 2026"
    assert parsed["From"] == "reports@xenproject.example"
    assert parsed["To"] == "board@xenproject.example, chair@xenproject.example"
    assert parsed["Date"] == "Thu, 02 Apr 2026 07:00:00 +0000"
    assert parsed.get_content_type() == "multipart/mixed"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert "- **Posts published:** 11 (previous month: 2)" in plain.get_content()
    page = html.get_content()
    assert page.count("<svg") == 7  # the charts, inline
    assert page.index("The charts are in the attached PDF too") < page.index("<h1>")
    attachments = {part.get_filename(): part for part in parsed.iter_attachments()}
    assert set(attachments) == {"xen-report-2026-03.pdf", "xen-report-2026-03.csv"}
    pdf = attachments["xen-report-2026-03.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert "Test status: March 2026" in _pages(pdf.get_content())[0]
    table = attachments["xen-report-2026-03.csv"]
    assert table.get_content_type() == "text/csv"
    rows = list(csv.reader(io.StringIO(table.get_content())))
    assert rows[0] == ["section", "key", "metric", "value"] and ["posts", "", "posts", "11"] in rows


def test_a_partial_report_is_named_so_in_the_subject(reports: dict[str, Report]) -> None:
    pdf = b"%PDF-1.7 made once for every target"
    message = report_message(reports["partial"], sender="a@example.org", recipients=["b@example.org"],
                             pdf=pdf)  # fmt: skip
    assert message["Subject"] == "xen: Test status: monthly report, March 2026 (partial)"
    [attached] = [
        p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"
    ]
    assert attached.get_content() == pdf  # the PDF given is the one attached


def test_cli_writes_a_pdf_to_out_or_to_a_pipe(cli: CliHarness, tmp_path: Path, pango: None) -> None:  # noqa: F811
    target = tmp_path / "q1.pdf"  # the extension chooses the format
    said = cli.ok("report", "quarterly", "--quarter", "2026-Q1", "--out", str(target)).stdout
    size = target.stat().st_size
    assert said == f"Wrote the quarterly report for Q1 2026 (pdf, {size:,} bytes) to {target}.\n"
    assert "Summary of Q1 2026" in _pages(target.read_bytes())[0]
    piped = cli.ok("report", "monthly", "--format", "pdf")  # stdout is no terminal
    assert _pages(piped.stdout_bytes)[0].startswith("Test status: March 2026")
    assert piped.stderr == ""  # WeasyPrint's progress log stays out of the way


def test_cli_refuses_to_print_a_pdf_to_a_terminal(cli: CliHarness, tmp_path: Path) -> None:  # noqa: F811
    """A real process whose stdout is a terminal (a pseudo-terminal the test holds)."""
    before = cli.dump()
    main, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "xensocial", "--config", str(cli.config), "report", "monthly",
             "--month", "2026-03", "--format", "pdf"],
            stdout=terminal, stderr=subprocess.PIPE, text=True, timeout=120,
            env={**os.environ, "XENSOCIAL_CONFIG": ""},
        )  # fmt: skip
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: --format pdf: a PDF is binary and cannot be shown in a terminal; give --out "
        "FILE.pdf, or redirect the output to a file\n"
    )
    assert b"%PDF" not in shown
    assert cli.dump() == before
