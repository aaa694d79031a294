"""`xensocial report monthly|quarterly` through the real CLI, on a SQLite file.

Bad input is refused before anything is read (exit 2, one `error:` line, the database as it
was); the report itself only reads, through a read-only connection that never waits for the
daemon's write lock.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from content_queue.db import make_engine
from tests.cli.conftest import CliHarness, write_config
from tests.conftest import FakeClock

from .conftest import at, march_2026

CONFIG = """\
database_url = "sqlite:///{db}"
data_dir = "{data}"
timezone = "Europe/Amsterdam"
auto_migrate = {auto_migrate}

[report]
title = "Test status"
[report.competitors]
xen = ["Xen", "XenServer", "Xen Project"]
kvm = ["KVM"]
docker = ["Docker"]
[report.themes]
mobile = ["mobile", "automotive", "embedded"]
cloud = ["cloud"]
community = ["community"]
""" + "".join(
    f'\n[[channels]]\nname = "{name}"\nnetwork = "outbox"\nslots = ["09:30"]\n'
    f'[channels.options]\npath = "{name}.jsonl"\n'
    for name in ("masto", "x-main", "news")
)


@pytest.fixture
def cli(tmp_path: Path, clock: FakeClock) -> CliHarness:
    harness = CliHarness(write_config(tmp_path, text=CONFIG), tmp_path / "data" / "queue.db", clock)
    harness.ok("db", "upgrade")
    engine = make_engine(f"sqlite:///{harness.db}")
    try:
        march_2026(engine, clock)
    finally:
        engine.dispose()
    clock.set(at("2026-04-02 07:00"))  # 09:00 CEST on 2 April: March is the last whole month
    return harness


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["monthly", "--month", "2026-13"], "--month: '2026-13' is not a month; expected YYYY-MM"),
        (["monthly", "--month", "March"], "--month: 'March' is not a month"),
        (["monthly", "--month", "0999-01"], "has a year out of range"),
        (["quarterly", "--quarter", "2026-Q5"], "--quarter: '2026-Q5' is not a quarter"),
        (["quarterly", "--quarter", "2026-03"], "expected YYYY-Qn with n from 1 to 4"),
        (
            ["monthly", "--format", "docx"],
            "'docx' is not one of 'md', 'html', 'csv', 'json', 'pdf'",
        ),
        (["monthly", "--out", "march.docx"], "--out 'march.docx': .docx is not a format"),
        (["monthly", "--out", "/nonexistent/folder/r.html"], "the folder '/nonexistent/folder'"),
    ],
)
def test_bad_input_is_refused_with_one_line(cli: CliHarness, args: list[str], message: str) -> None:
    result = cli.refused("report", *args)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_default_month_is_the_last_complete_one(cli: CliHarness) -> None:
    text = cli.ok("report", "monthly").stdout
    assert text.startswith("# Test status: March 2026\n")
    assert "- **Posts published:** 11 (previous month: 2)" in text
    quarter = cli.ok("report", "quarterly", "--format", "json").stdout
    assert json.loads(quarter)["period"]["label"] == "2026-Q1"


def test_json_carries_the_report(cli: CliHarness) -> None:
    report = json.loads(
        cli.ok("report", "monthly", "--month", "2026-03", "--format", "json").stdout
    )
    assert report["posts"]["total"] == 11
    assert report["engagement"]["total"]["counters"]["interactions"] == 70
    assert [r["followers"] for r in report["followers"]["rows"]] == [1200, 5500, None]
    assert len(report["programme"]["press_releases"]) == 3


def test_out_writes_the_file_in_the_format_its_name_says(cli: CliHarness, tmp_path: Path) -> None:
    target = tmp_path / "march.html"
    said = cli.ok("report", "monthly", "--month", "2026-3", "--out", str(target)).stdout
    size = len(target.read_bytes())
    assert said == f"Wrote the monthly report for March 2026 (html, {size:,} bytes) to {target}.\n"
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    csv_file = tmp_path / "q1.CSV"
    cli.ok("report", "quarterly", "--quarter", "2026q1", "--out", str(csv_file))
    assert csv_file.read_text(encoding="utf-8").startswith("section,key,metric,value\n")
    forced = tmp_path / "report"  # no extension: --format chooses
    cli.ok("report", "monthly", "--format", "json", "--out", str(forced))
    assert json.loads(forced.read_text(encoding="utf-8"))["period"]["label"] == "2026-03"
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file, renamed


def test_the_report_reads_while_another_process_holds_the_write_lock(cli: CliHarness) -> None:
    before = cli.dump()
    writer = sqlite3.connect(cli.db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # what the daemon's every transaction takes
        result = cli.ok("report", "monthly", "--format", "csv")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "posts,,posts,11" in result.stdout
    assert cli.dump() == before


def test_a_database_not_yet_made_is_made_and_reported_empty(
    tmp_path: Path, clock: FakeClock
) -> None:
    harness = CliHarness(write_config(tmp_path, text=CONFIG), tmp_path / "data" / "queue.db", clock)
    result = harness.ok("report", "monthly", "--month", "2026-03")
    assert "Upgraded the database from revision none (empty)" in result.stderr
    assert "- **Posts published:** 0 (previous month: 0)" in result.stdout
    assert "**Posts per category**: None in this period." in result.stdout
