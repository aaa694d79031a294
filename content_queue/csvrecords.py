"""A CSV file's records, each with the physical line it starts on, whatever the file holds.

Staff fix a refused file in an editor, line by line, so every problem is named by its line and
one import names them all: bytes that are not UTF-8 make only the records on their lines bad
(not the whole file, as decoding it in one go would), and a record csv cannot read (a field
beyond csv's size limit) is reported where it is, and reading goes on after it.

Line numbers are physical lines as an editor counts them (a quoted field may span several: a
record's first line is its line); a UTF-8 byte-order mark is dropped, and CRLF, LF and CR line
ends are all accepted.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Record", "read_records"]

NOT_UTF8 = "not UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)"


@dataclass(frozen=True)
class Record:
    """One record: its first line, its fields, or why it cannot be read (then no fields)."""

    line: int
    fields: list[str] = field(default_factory=list)
    problem: str | None = None


def read_records(path: Path) -> Iterator[Record]:
    """The records of the CSV file at `path`. Raises OSError when the file cannot be read."""
    text, undecodable = _decode(Path(path).read_bytes())
    # newline="": csv sees the line ends as they are, so quoted line breaks survive.
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    while True:
        problem = None
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            fields, problem = [], _describe(exc)
        line, previous_end = previous_end + 1, reader.line_num
        if problem is None and not undecodable.isdisjoint(range(line, previous_end + 1)):
            fields, problem = [], NOT_UTF8
        yield Record(line, fields, problem)


def _decode(data: bytes) -> tuple[str, set[int]]:
    """`data` as text, line by line, and the numbers of the lines that are not UTF-8 (their
    bad bytes become U+FFFD, so the lines around them still read as they are)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    parts: list[str] = []
    undecodable: set[int] = set()
    # bytes.splitlines breaks at \n, \r\n and \r only: the line ends csv counts.
    for number, raw in enumerate(data.splitlines(keepends=True), 1):
        try:
            parts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            undecodable.add(number)
            parts.append(raw.decode("utf-8", errors="replace"))
    return "".join(parts), undecodable


def _describe(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV ({exc})"
