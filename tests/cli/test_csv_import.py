"""CSV import: `content_queue.csvimport.iter_csv` (line numbers, format rules) and
`queue import` (nothing imported on a bad row unless --skip-bad; duplicates reported)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from content_queue.csvimport import iter_csv
from content_queue.errors import RowError
from tests.cli.conftest import CliHarness

HEADER = "url,title,text,category,tags,channels,not_before,priority\n"


def _parse(path: Path, **kwargs: object) -> tuple[list, list]:  # type: ignore[type-arg]
    """The good rows and the bad ones, as `queue import` reads them (one at a time)."""
    options: dict[str, object] = {"default_channels": ["demo", "fast"], "created_by": "me"}
    options.update(kwargs)
    rows, errors = [], []
    for row in iter_csv(path, **options):  # type: ignore[arg-type]
        (errors if isinstance(row, RowError) else rows).append(row)
    return rows, errors


def test_rows_become_new_items(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        HEADER
        + "https://example.org/a,A,Some text,Event,xen; oss ;,demo,2026-12-01T09:30,4\n"
        + "https://example.org/b,,,,,,,\n",
        encoding="utf-8",
    )
    rows, errors = _parse(path, timezone="Europe/Amsterdam")
    assert errors == []
    (line_a, a), (line_b, b) = rows
    assert (line_a, line_b) == (2, 3)
    assert (a.url, a.title, a.text, a.category) == (
        "https://example.org/a",
        "A",
        "Some text",
        "Event",
    )
    assert list(a.tags) == ["xen", "oss"] and list(a.channels) == ["demo"]
    assert a.not_before == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # naive: in the given zone
    assert a.priority == 4 and a.source == "csv" and a.created_by == "me"
    assert list(b.channels) == ["demo", "fast"] and b.category == "news" and b.priority == 0


def test_naive_times_are_utc_by_default(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("url,not_before\nhttps://example.org/a,2026-12-01T09:30\n", encoding="utf-8")
    rows, _ = _parse(path)
    assert rows[0][1].not_before == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_bom_crlf_and_quoted_newlines_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    body = (
        "url,title\r\n"
        'https://example.org/a,"two\r\nlines"\r\n'
        "\r\n"
        "ftp://bad,x\r\n"
        "https://example.org/c,C\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    rows, errors = _parse(path)
    assert [(line, item.url) for line, item in rows] == [
        (2, "https://example.org/a"),
        (6, "https://example.org/c"),
    ]
    assert rows[0][1].title == "two\r\nlines"
    assert [e.line for e in errors] == [5]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",title only,,,,,,", "url: missing"),
        ("https://example.org/a,,,,,nope;demo,,", "unknown channel(s) 'nope'; known: demo, fast"),
        ("https://example.org/a,,,,,,next week,", "not_before: 'next week' is not an ISO 8601"),
        ("https://example.org/a,,,,,,,high", "priority: 'high' is not a whole number"),
        ("https://example.org/a,,,,,,,,extra", "9 fields, the header has 8"),
    ],
)
def test_bad_rows_are_reported_with_their_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "items.csv"
    path.write_text(HEADER + "https://example.org/ok,,,,,,,\n" + row + "\n", encoding="utf-8")
    rows, errors = _parse(path)
    assert len(rows) == 1
    assert len(errors) == 1 and errors[0].line == 3 and message in errors[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("url,title,colour\nhttps://example.org/a,A,red\n", "unknown column(s) 'colour'"),
        ("title\nA\n", "needs a 'url' column"),
        ("", "empty file"),
        ("url,url\nhttps://example.org/a,x\n", "named twice"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "items.csv"
    path.write_text(text, encoding="utf-8")
    rows, errors = _parse(path)
    assert rows == [] and len(errors) == 1 and message in errors[0].message


def test_unknown_channels_checked_against_known_channels(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("url,channels\nhttps://example.org/a,fast\n", encoding="utf-8")
    rows, errors = _parse(path, default_channels=["demo"], known_channels=["demo", "fast"])
    assert errors == [] and list(rows[0][1].channels) == ["fast"]


def _write(cli: CliHarness, text: str) -> str:
    path = cli.config.parent / "items.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


GOOD_AND_BAD = (
    HEADER
    + "https://example.org/a,A,,,,,,\n"
    + "https://example.org/b,B,,,,nope,,\n"
    + "https://example.org/c,C,,,,demo,,\n"
    + "not-a-url,D,,,,,,\n"
)


def test_import_of_a_good_file(cli: CliHarness) -> None:
    path = _write(
        cli, HEADER + "https://example.org/a,A,,,x;y,,,\nhttps://example.org/b,B,,,,fast,,\n"
    )
    assert cli.ok("queue", "import", path).stdout.splitlines() == [
        f"Added 2 item(s) from {path}: 1, 2"
    ]
    items = cli.json("queue", "list")
    assert [(i["title"], i["source"], i["created_by"]) for i in items] == [
        ("B", "csv", "tester"),
        ("A", "csv", "tester"),
    ]
    assert [d["channel"] for d in items[0]["deliveries"]] == ["fast"]


def test_a_bad_row_imports_nothing(cli: CliHarness) -> None:
    result = cli.refused("queue", "import", _write(cli, GOOD_AND_BAD))
    assert "2 bad row(s); nothing was imported" in result.stderr
    assert "line 3: channels: unknown channel(s) 'nope'" in result.stderr
    assert "line 5: url: 'not-a-url' is not an http" in result.stderr


def test_skip_bad_imports_the_rest_and_reports_duplicates(cli: CliHarness) -> None:
    cli.ok("queue", "add", "https://example.org/c/")
    path = _write(cli, GOOD_AND_BAD)
    report = cli.json("queue", "import", path, "--skip-bad")
    assert [(a["line"], a["item"]["title"]) for a in report["added"]] == [(2, "A")]
    assert report["duplicates"] == [{"line": 4, "url": "https://example.org/c", "existing_id": 1}]
    assert [r["line"] for r in report["refused"]] == [3, 5]
    text = cli.ok("queue", "import", path, "--skip-bad").stdout
    assert "Added 0 item(s)" in text
    assert "line 2: https://example.org/a is item 2 (approved)" in text
    assert "Refused 2 row(s):" in text and "  line 3: channels:" in text
    again = cli.json("queue", "import", path, "--skip-bad", "--allow-duplicate")
    assert [a["line"] for a in again["added"]] == [2, 4]


def test_import_refuses_files_it_cannot_use(cli: CliHarness) -> None:
    assert "does not exist" in cli.refused("queue", "import", "/no/such.csv").stderr
    bad_header = _write(cli, "url,colour\nhttps://example.org/a,red\n")
    assert (
        "unknown column(s) 'colour'"
        in cli.refused("queue", "import", bad_header, "--skip-bad").stderr
    )
