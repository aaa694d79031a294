"""Bad CSV rows, generated: `queue import` exits 2, names every bad row by its line, and
imports nothing.

A file is a header (the columns in any order) and a mix of good rows and bad ones, each bad row
with one mistake: a bad date, an empty or non-http URL, an unknown channel, a bad priority, a
category too long to store, too many fields, bytes that are not UTF-8, a NUL character, or a
field far too long. The line numbers are the file's physical lines, as staff see them in an
editor (a quoted field may span lines: the row's first line counts).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content_queue.csvimport import COLUMNS

from .conftest import PROPERTY, Seeded, refused_in_one_line
from .strategies import CHANNELS, bad_priorities, bad_urls, bad_whens

_BAD_BYTES = b"@@NOT-UTF-8@@"  # replaced by bytes no UTF-8 decoder accepts
_LINE_END = re.compile(r"\r\n|\r|\n")  # what ends a line for csv (the file is read with newline="")
_CELL = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r")


@dataclass(frozen=True)
class Row:
    cells: dict[str, str]
    bad: bool
    extra: int = 0  # fields past the header's
    not_utf8: bytes = b""


def good_row(n: int) -> Row:
    return Row({"url": f"https://example.org/csv/{n}", "title": f"Good {n}"}, bad=False)


def _channel_lists() -> st.SearchStrategy[str]:
    # A list naming at least one channel that is not configured.
    names = st.text(_CELL.filter(lambda c: c != ";"), min_size=1, max_size=12)
    return (
        st.lists(names, min_size=1, max_size=3)
        .map(";".join)
        .filter(lambda v: any(p.strip() and p.strip() not in CHANNELS for p in v.split(";")))
    )


@st.composite
def bad_row(draw: st.DrawFn, n: int) -> Row:
    base = {"url": f"https://example.org/bad/{n}", "title": f"Bad {n}"}
    mistake = draw(
        st.sampled_from(
            [
                "date",
                "no url",
                "url",
                "channel",
                "priority",
                "category",
                "fields",
                "encoding",
                "nul",
                "title",
                "huge",
            ]  # fmt: skip
        )
    )
    if mistake == "date":
        return Row({**base, "not_before": draw(bad_whens().filter(str.strip))}, bad=True)
    if mistake == "no url":
        return Row({**base, "url": draw(st.sampled_from(["", " ", "\t"]))}, bad=True)
    if mistake == "url":
        return Row({**base, "url": draw(bad_urls().filter(str.strip))}, bad=True)
    if mistake == "channel":
        return Row({**base, "channels": draw(_channel_lists())}, bad=True)
    if mistake == "priority":
        return Row({**base, "priority": draw(bad_priorities())}, bad=True)
    if mistake == "category":
        return Row({**base, "category": "c" * draw(st.integers(41, 200))}, bad=True)
    if mistake == "fields":
        return Row(base, bad=True, extra=draw(st.integers(1, 3)))
    if mistake == "encoding":
        raw = draw(
            st.sampled_from([b"\xe9", b"\xff\xfe", b"\xc3\x28", b"\x80abc", b"\xed\xa0\x80"])
        )
        return Row({**base, "title": "Caf" + _BAD_BYTES.decode()}, bad=True, not_utf8=raw)
    if mistake == "nul":
        column = draw(st.sampled_from(["title", "text", "tags", "category"]))
        return Row({**base, column: "bad\x00value"}, bad=True)
    if mistake == "title":
        return Row({**base, "title": "t" * draw(st.integers(1001, 3000))}, bad=True)
    return Row({**base, "text": "x" * 200_000}, bad=True)  # beyond csv's field size limit


@st.composite
def files(draw: st.DrawFn) -> tuple[list[str], list[Row]]:
    header = list(draw(st.permutations(COLUMNS)))  # every column, in any order
    count = draw(st.integers(1, 6))
    rows = [draw(bad_row(n)) for n in range(count)]
    goods = [good_row(n) for n in range(draw(st.integers(0, 4)))]
    mixed = draw(st.permutations(rows + goods))
    return header, mixed


def write(path: Path, header: list[str], rows: list[Row]) -> set[int]:
    """Write the file; the lines of its bad rows."""
    out = io.StringIO()
    writer = csv.writer(out)  # CRLF line ends: fields holding \r or \n are quoted
    writer.writerow(header)
    starts: list[int] = []
    for row in rows:
        starts.append(len(_LINE_END.findall(out.getvalue())) + 1)
        cells = [row.cells.get(column, "") for column in header]
        writer.writerow(cells + ["extra"] * row.extra)
    data = out.getvalue().encode("utf-8")
    lines = set()
    for row, start in zip(rows, starts, strict=True):
        if row.bad:
            lines.add(start)
        if row.not_utf8:
            data = data.replace(_BAD_BYTES, row.not_utf8, 1)
    path.write_bytes(data)
    return lines


def reported_lines(stderr: str) -> set[int]:
    first, *details = stderr.rstrip("\n").split("\n")
    assert first.startswith("error: ") and "nothing was imported" in first, stderr
    assert all(d.startswith("  line ") for d in details), stderr
    return {int(m.group(1)) for d in details if (m := re.match(r"  line (\d+): ", d))}


@PROPERTY
@given(made=files())
def test_every_bad_row_is_named_and_nothing_is_imported(
    cli: Seeded, tmp_path: Path, made: tuple[list[str], list[Row]]
) -> None:
    header, rows = made
    path = tmp_path / "items.csv"
    bad = write(path, header, rows)
    result = cli.refused("queue", "import", str(path))
    assert reported_lines(result.stderr) == bad, (bad, result.stderr[:2000])


# -- the bugs the property found, one regular test each -----------------------------------


def refused_lines(cli: Seeded, path: Path, text: bytes) -> set[int]:
    path.write_bytes(text)
    return reported_lines(cli.refused("queue", "import", str(path)).stderr)


def test_bytes_that_are_not_utf8_are_named_by_their_line(cli: Seeded, tmp_path: Path) -> None:
    # Was one error on line 1, whatever the line, and the other rows were not checked.
    text = b"url,title\nhttps://example.org/a,Caf\xe9\nhttps://example.org/b,ok\nftp://c,x\n"
    assert refused_lines(cli, tmp_path / "a.csv", text) == {2, 4}


def test_a_field_beyond_the_size_limit_is_named_by_its_line(cli: Seeded, tmp_path: Path) -> None:
    # Was "line 1: not valid CSV", and the rows after it were not checked.
    huge = b"x" * 200_000
    text = b"url,text\nhttps://example.org/a,ok\nhttps://example.org/b," + huge + b"\nftp://c,x\n"
    assert refused_lines(cli, tmp_path / "a.csv", text) == {3, 4}


def test_every_row_is_checked_before_anything_is_added(cli: Seeded, tmp_path: Path) -> None:
    # A title too long was only found while adding, after the other bad rows had been
    # reported: a file with both kinds named only the first kind.
    long_title = b"t" * 1001
    text = b"url,title,priority\nhttps://example.org/a," + long_title + b",1\nftp://b,x,1\n"
    assert refused_lines(cli, tmp_path / "a.csv", text) == {2, 3}


@pytest.mark.parametrize(
    ("cells", "words"),
    [
        (b"https://example.org/a,bad\x00title,1,", "NUL"),
        (b"https://example.org/a,t,99999999999,", "priority"),
        (b"https://example.org/a,t,1,0001-01-01T00:05", "not_before"),
        (b'https://example.org/a,t,1,,"two\nlines"', "unknown channel"),
    ],
)
def test_rows_the_database_would_have_refused(
    cli: Seeded, tmp_path: Path, cells: bytes, words: str
) -> None:
    # Were exit 1 (OverflowError, or PostgreSQL refusing a NUL) or an error on two lines.
    path = tmp_path / "a.csv"
    path.write_bytes(b"url,title,priority,not_before,channels\n" + cells + b"\n")
    result = cli.refused("queue", "import", str(path))
    assert reported_lines(result.stderr) == {2}, result.stderr
    assert words in result.stderr


def test_a_utf16_file_is_refused_on_its_first_line(cli: Seeded, tmp_path: Path) -> None:
    text = "url,title\nhttps://example.org/a,t\n".encode("utf-16")
    assert refused_lines(cli, tmp_path / "a.csv", text) == {1}


def test_the_harness_accepts_a_good_file(cli: Seeded, tmp_path: Path) -> None:
    # The property's good rows really are good: a file of them alone is imported.
    path = tmp_path / "good.csv"
    write(path, list(COLUMNS), [good_row(n) for n in range(3)])
    assert len(cli.json("queue", "import", str(path))["added"]) == 3
    refused_in_one_line(cli, "queue", "import", str(tmp_path / "missing.csv"))
