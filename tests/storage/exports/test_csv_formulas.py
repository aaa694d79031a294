"""Hostile text through every CSV the program writes comes out inert (issue 15, "Why" 4).

Titles come from feeds and pages, remote ids and errors from networks, clip outlets from
coverage feeds: a value starting with `=`, `+`, `-` or `@` would run as a formula in the
spreadsheet that opens the file. Each export (`export csv --what posts|engagement|followers`
and the report's CSV) is run through the CLI on a database holding such values, read back with
the csv module, and every cell checked: no text starts like a formula (a plain negative number
stays a number), and each hostile value is there, whole, behind its quote.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from content_queue import ContentQueue, Ledger, NewItem, make_engine
from content_queue.coverage import ClipStore, NewClip
from content_queue.metrics_store import DueSample, EngagementReading, MetricsStore
from tests.choosing import claim
from tests.cli.conftest import CliHarness
from tests.paths import ROOT

from .conftest import Seeded, utc

HYPERLINK = '=HYPERLINK("http://x","y")'
COMMAND = "+cmd|' /C calc'!A0"
SUM = "@SUM(1+1)"
DASH = "-2+3+cmd|' /C calc'!A0"
TAB = "\t=1+1"
CR = "\r=1+1"
# What a spreadsheet may take for a formula (OWASP): these must never start a text cell.
STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: str) -> bool:
    if not value.startswith(STARTS):
        return True
    try:  # a plain number (a negative growth) is a number, not a formula
        float(value)
    except ValueError:
        return False
    return True


@pytest.fixture
def hostile(export_cli: tuple[CliHarness, Seeded], clock: object) -> CliHarness:
    """The seeded exports database, plus one published post whose title, tags, remote id and
    link are hostile, its engagement sample, follower samples of hostile channel names, a
    failed delivery whose error is a formula, and a clip from a hostile outlet."""
    cli, _ = export_cli
    engine = make_engine(f"sqlite:///{cli.db}")
    try:
        queue = ContentQueue(engine, clock)
        ledger = Ledger(engine, clock)
        item = queue.add(
            NewItem(
                url="https://example.org/hostile",
                channels=["alpha", "beta"],
                title=HYPERLINK,
                tags=[SUM, "plain"],
                category="news",
            )
        )
        alpha, beta = sorted(item.deliveries, key=lambda d: d.channel)
        at = utc(2026, 3, 1, 12)
        assert (
            claim(ledger, alpha.id, "seed", utc(2030, 1, 1), channel="alpha", now=clock())
            is not None
        )
        assert ledger.mark_published(alpha.id, remote_id=COMMAND, remote_url=None, published_at=at)
        assert (
            claim(ledger, beta.id, "seed", utc(2030, 1, 1), channel="beta", now=clock()) is not None
        )
        assert ledger.mark_failed(beta.id, DASH)
        store = MetricsStore(engine, clock)
        due = DueSample(alpha.id, "alpha", COMMAND, at, timedelta(hours=1))
        store.record_engagement([EngagementReading(due, taken_at=at + timedelta(hours=1), likes=3)])
        store.record_followers(SUM, utc(2026, 3, 1), 5)
        store.record_followers(TAB, utc(2026, 3, 1), 6)
        store.record_followers(CR, utc(2026, 3, 2), 7)
        ClipStore(engine, clock).add(
            NewClip(
                url="https://news.example/a",
                published_on=date(2026, 3, 1),
                title="Clip",
                outlet=COMMAND,
            )
        )
    finally:
        engine.dispose()
    return cli


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _check(rows: list[list[str]], expected: set[str]) -> None:
    cells = [cell for row in rows for cell in row]
    bad = [cell for cell in cells if not _inert(cell)]
    assert bad == [], bad
    missing = {value for value in expected if "'" + value not in cells}
    assert missing == set(), (missing, rows)


@pytest.mark.parametrize(
    ("what", "expected"),
    [
        ("posts", {HYPERLINK, COMMAND}),
        ("engagement", {COMMAND}),
        ("followers", {SUM, TAB, CR}),
    ],
)
def test_export_csv_writes_every_formula_inert(
    hostile: CliHarness, what: str, expected: set[str]
) -> None:
    rows = _cells(hostile.ok("export", "csv", "--what", what).stdout)
    _check(rows, expected)
    if what == "posts":
        [post] = [row for row in rows if row[3] == "'" + HYPERLINK]
        assert post[6] == f"'{SUM};plain"  # the tags cell starts with a formula: one quote


def test_the_reports_csv_writes_every_formula_inert(hostile: CliHarness) -> None:
    text = hostile.ok("report", "monthly", "--month", "2026-03", "--format", "csv").stdout
    rows = _cells(text)
    _check(rows, {HYPERLINK, COMMAND, DASH})  # a top post, a clip's outlet, an error
    numbers = [row[3] for row in rows if row[3].startswith("-")]
    assert all(float(n) < 0 for n in numbers), numbers  # left as numbers, if any


def test_one_writer_for_every_csv() -> None:
    # Every module that writes CSV goes through csv_writer: a new writer elsewhere would be a
    # second rule to forget. (The reading side, content_queue/csvrecords.py, writes nothing.)

    root = ROOT
    writers = {
        str(path.relative_to(root))
        for folder in ("xensocial", "content_queue")
        for path in (root / folder).rglob("*.py")
        if "csv.writer(" in path.read_text(encoding="utf-8")
        or "csv.DictWriter(" in path.read_text(encoding="utf-8")
    }
    assert writers == {"xensocial/reporting/csv_writer.py"}


@pytest.mark.parametrize(
    "text", ["a\rb", "a\r\nb", "a\nb", "\r", 'say "hi", then\rgo', "=1\r=2", "\r\n-3"]
)
def test_line_breaks_inside_a_cell_never_start_a_row(text: str) -> None:
    # Python's csv quoted a CR only when it was part of the line terminator: with LF line
    # ends, "a\rb" went out bare and was read back as two rows.
    from xensocial.reporting.csv_writer import CsvWriter, inert

    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["before", text, 7])
    writer.writerow(["after", "plain", -3])
    assert _cells(out.getvalue()) == [["before", inert(text), "7"], ["after", "plain", "-3"]]
