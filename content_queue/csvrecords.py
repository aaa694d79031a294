"""A CSV file's records, each with the physical line it starts on, read as a stream within limits.

Staff fix a refused file in an editor, line by line, so every problem is named by its line and
one import names them all: bytes that are not UTF-8 make only the records on their lines bad
(not the whole file, as decoding it in one go would), and a record csv cannot read (a field
beyond csv's size limit) or longer than the row limit is reported where it is, and reading goes
on after it.

The file is read as a stream, a line at a time, so memory does not grow with it, and within two
limits (`CsvLimits`): the file's size (a regular file larger than it is refused before a byte is
read; a device or a pipe when it has given that much) and a record's size (a longer record is a
bad row, skipped without being held: at most the limit is ever in memory). A first record too
long or holding a NUL byte means the file is not CSV text at all (`/dev/zero`, an image, a
spreadsheet saved in its own format): the whole file is refused at once (`FileRefused`).

Line numbers are physical lines as an editor counts them (a quoted field may span several: a
record's first line is its line); a UTF-8 byte-order mark is dropped, and CRLF, LF and CR line
ends are all accepted.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .errors import FileRefused

__all__ = ["DEFAULT_LIMITS", "NOT_UTF8", "CsvLimits", "Record", "read_records", "size_text"]

NOT_UTF8 = "not UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)"
_KIB = 1024
_MIB = 1024 * 1024
# Bytes that were not UTF-8, as the `surrogateescape` error handler hands them over.
_UNDECODED = re.compile("[\udc80-\udcff]")
_LINE_ENDS = ("\n", "\r")
_SKIP_CHUNK = 64 * _KIB  # what is read at a time while skipping the rest of a too-long line


def size_text(size: int) -> str:
    """`size` bytes as staff read it: 50 MB, 64 KB, 1.5 GB (1 KB = 1,024 bytes, as file
    managers count)."""
    for unit, scale in (("GB", 1024 * _MIB), ("MB", _MIB), ("KB", _KIB)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"


@dataclass(frozen=True)
class CsvLimits:
    """How much of a CSV file an import reads (`[imports]` in the configuration).

    The defaults fit real use with room to spare: a row of the largest item (a title of 1,000
    and a text of 10,000 characters, every one of them 4 bytes in UTF-8) is under 44 KB, and 50
    MB holds some 300,000 such rows of ordinary length."""

    max_file_bytes: int = 50 * _MIB
    max_row_bytes: int = 64 * _KIB

    def __post_init__(self) -> None:
        if self.max_row_bytes < 1 or self.max_file_bytes < self.max_row_bytes:
            raise ValueError(
                f"inconsistent CSV limits: rows of {self.max_row_bytes} bytes "
                f"in files of {self.max_file_bytes}"
            )


@dataclass(frozen=True)
class Record:
    """One record: its first line, its fields, or why it cannot be read (then no fields)."""

    line: int
    fields: list[str] = field(default_factory=list)
    problem: str | None = None


DEFAULT_LIMITS = CsvLimits()


def read_records(path: Path, limits: CsvLimits = DEFAULT_LIMITS) -> Iterator[Record]:
    """The records of the CSV file at `path`, read as they are asked for.

    Raises OSError when the file cannot be read, and FileRefused when it is larger than
    `limits.max_file_bytes` or is not CSV text (see the module docstring)."""
    shown = str(path)
    with open(path, "rb", buffering=0) as raw:
        info = os.fstat(raw.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size > limits.max_file_bytes:
            raise FileRefused(shown, _too_large(info.st_size, limits))
        capped = io.BufferedReader(_Capped(raw, shown, limits))
        # surrogateescape: a line that is not UTF-8 still reads (its bad bytes marked), so the
        # lines around it are checked; utf-8-sig drops a byte-order mark.
        text = io.TextIOWrapper(capped, encoding="utf-8-sig", errors="surrogateescape", newline="")
        yield from _records(_Lines(text, limits.max_row_bytes), shown, limits)


def _too_large(size: int | None, limits: CsvLimits) -> str:
    what = f"{size_text(size)}, more" if size is not None else "more"
    return (
        f"{what} than the {size_text(limits.max_file_bytes)} an import reads "
        "(the limit is [imports] max_file_size); split the file, or raise the limit"
    )


def _records(lines: _Lines, shown: str, limits: CsvLimits) -> Iterator[Record]:
    # newline="" above: csv sees the line ends as they are, so quoted line breaks survive.
    reader = csv.reader(lines)
    previous_end = 0
    header_seen = False
    while True:
        fields: list[str] = []
        problem = None
        lines.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except _TooLong:
            problem = (
                f"longer than {size_text(limits.max_row_bytes)}, the most a row may be "
                "(the limit is [imports] max_row_length; an unclosed quote?)"
            )
        except csv.Error as exc:
            problem = _describe(exc)
        line, previous_end = previous_end + 1, lines.count
        if problem is None and lines.undecodable:
            fields, problem = [], NOT_UTF8
        if not header_seen and (problem is not None or any(f.strip() for f in fields)):
            header_seen = True
            _check_header(shown, line, fields, problem, limits)
        yield Record(line, [] if problem else fields, problem)


def _check_header(
    shown: str, line: int, fields: list[str], problem: str | None, limits: CsvLimits
) -> None:
    """FileRefused when the first record (the header) shows the file is not CSV text at all."""
    if problem is not None and problem.startswith("longer than"):
        raise FileRefused(
            shown,
            f"line {line} is longer than {size_text(limits.max_row_bytes)} (the limit is "
            "[imports] max_row_length): this is not a CSV file with a header row",
        )
    if any("\x00" in f for f in fields):
        raise FileRefused(
            shown,
            f"line {line} holds NUL bytes: this is not a CSV text file (save it as CSV UTF-8)",
        )


class _TooLong(Exception):
    """The record being read passed the row limit (its rest was skipped)."""


class _Lines:
    """The physical lines of a text stream for `csv.reader`, with their count, each record's
    size kept within the row limit, and whether the record holds bytes that were not UTF-8.

    A class, not a generator: it raises `_TooLong` for one record and goes on with the next
    (a generator that raises is finished)."""

    def __init__(self, text: io.TextIOWrapper, max_row_bytes: int) -> None:
        self._text = text
        self._max = max_row_bytes
        self._size = 0  # bytes of the record being read
        self._cut = False  # the last line read was cut at the limit: its rest is still to skip
        self.count = 0  # physical lines read so far
        self.undecodable = False  # the record being read holds bytes that were not UTF-8

    def start_record(self) -> None:
        self._size = 0
        self.undecodable = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._cut:  # skipped only now: a header too long refuses the file without it
            self._cut = False
            self._skip_rest()
        room = self._max - self._size
        # Characters are at least one byte each: room + 1 characters tell whether it fits.
        line = self._text.readline(room + 1)
        if not line:
            raise StopIteration
        self.count += 1
        size = len(line) if line.isascii() else len(line.encode("utf-8", "surrogateescape"))
        self._size += size
        if self._size > self._max:
            self._cut = not line.endswith(_LINE_ENDS)
            raise _TooLong
        if _UNDECODED.search(line):
            self.undecodable = True
            line = _UNDECODED.sub("\ufffd", line)
        return line

    def _skip_rest(self) -> None:
        """Read the rest of the current physical line without keeping it."""
        while True:
            part = self._text.readline(_SKIP_CHUNK)
            if not part or part.endswith(_LINE_ENDS):
                return


class _Capped(io.RawIOBase):
    """The file's bytes, refused (FileRefused) once more than the import reads have come."""

    def __init__(self, raw: BinaryIO, shown: str, limits: CsvLimits) -> None:
        self._raw = raw
        self._shown = shown
        self._limits = limits
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        got = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._read += got or 0
        if self._read > self._limits.max_file_bytes:
            raise FileRefused(self._shown, _too_large(None, self._limits))
        return int(got or 0)


def _describe(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV ({exc})"
