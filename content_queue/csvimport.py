"""Reading a CSV file of items into `NewItem`s, with every bad row reported by its line number.

Parsing is separate from adding (`ContentQueue.add_many`) so that a caller can show every problem
of a file at once, before anything touches the database, and so the CLI and the daemon's
`import_at_start` read files the same way.

The format (a header row is required; only `url` is mandatory):

    url,title,text,category,tags,channels,not_before,priority

- `tags` and `channels` are separated by `;`; empty `channels` means the default channels;
- `not_before` is ISO 8601; a value without an offset is read in `timezone` (UTC by default);
- `priority` is a whole number (0 when empty);
- line numbers are the file's physical lines (a quoted field may span lines: the row's first
  line is reported); a UTF-8 byte-order mark and CRLF line ends are accepted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from .errors import InvalidItem, RowError
from .urls import validate_url
from .views import NewItem

__all__ = ["COLUMNS", "parse_csv"]

COLUMNS = ("url", "title", "text", "category", "tags", "channels", "not_before", "priority")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _when(value: str, zone: ZoneInfo) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidItem(
            "not_before",
            f"{value!r} is not an ISO 8601 date/time (e.g. 2026-12-01T09:30 or 2026-12-01T09:30+01:00)",
        ) from None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def _row(
    record: dict[str, str],
    *,
    default_channels: Sequence[str],
    known: Sequence[str],
    created_by: str,
    zone: ZoneInfo,
) -> NewItem:
    def cell(name: str) -> str:
        return (record.get(name) or "").strip()

    url = cell("url")
    if not url:
        raise InvalidItem("url", "missing")
    validate_url(url)
    channels = _split(cell("channels")) or list(default_channels)
    if not channels:
        raise InvalidItem("channels", "none given and no default channels are configured")
    unknown = [c for c in channels if c not in known]
    if unknown:
        raise InvalidItem(
            "channels",
            f"unknown channel(s) {', '.join(unknown)}; known: {', '.join(known) or 'none'}",
        )
    priority_raw = cell("priority")
    try:
        priority = int(priority_raw) if priority_raw else 0
    except ValueError:
        raise InvalidItem("priority", f"{priority_raw!r} is not a whole number") from None
    not_before_raw = cell("not_before")
    return NewItem(
        url=url,
        channels=channels,
        title=cell("title"),
        text=cell("text"),
        category=cell("category") or "news",
        tags=_split(cell("tags")),
        source="csv",
        priority=priority,
        not_before=_when(not_before_raw, zone) if not_before_raw else None,
        created_by=created_by,
    )


def parse_csv(
    path: Path,
    *,
    default_channels: Sequence[str],
    created_by: str,
    known_channels: Sequence[str] | None = None,
    timezone: str = "UTC",
) -> tuple[list[tuple[int, NewItem]], list[RowError]]:
    """The good rows (with their line numbers) and the bad ones of the CSV file at `path`.

    `known_channels` (default: `default_channels`) are the channel names a row may name.
    A problem with the file as a whole (unreadable, no header, unknown columns) is reported as
    one RowError on line 1 and no rows."""
    known = list(known_channels if known_channels is not None else default_channels)
    zone = ZoneInfo(timezone)
    try:
        # utf-8-sig drops a byte-order mark; newline="" lets csv handle CRLF and quoted newlines.
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            return _parse(csv.reader(f), default_channels, known, created_by, zone)
    except FileNotFoundError:
        return [], [RowError(1, f"{path}: no such file")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [RowError(1, f"{path}: cannot be read ({exc})")]
    except csv.Error as exc:
        return [], [RowError(1, f"{path}: not valid CSV ({exc})")]


def _parse(
    reader: _Reader,
    default_channels: Sequence[str],
    known: Sequence[str],
    created_by: str,
    zone: ZoneInfo,
) -> tuple[list[tuple[int, NewItem]], list[RowError]]:
    good: list[tuple[int, NewItem]] = []
    bad: list[RowError] = []
    header: list[str] | None = None
    header_line = 0
    previous_end = 0
    for fields in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(field.strip() for field in fields):
            continue  # blank lines carry nothing
        if header is None:
            header = [field.strip().lower() for field in fields]
            header_line = line
            unknown = [h for h in header if h not in COLUMNS]
            if unknown:
                return [], [
                    RowError(
                        line,
                        f"unknown column(s) {', '.join(repr(u) for u in unknown)}; "
                        f"expected some of {','.join(COLUMNS)}",
                    )
                ]
            if "url" not in header:
                return [], [
                    RowError(line, f"the header needs a 'url' column; expected {','.join(COLUMNS)}")
                ]
            if len(set(header)) != len(header):
                return [], [RowError(line, "a column is named twice in the header")]
            continue
        if len(fields) > len(header):
            bad.append(RowError(line, f"{len(fields)} fields, the header has {len(header)}"))
            continue
        record = dict(zip(header, fields, strict=False))
        try:
            good.append(
                (
                    line,
                    _row(
                        record,
                        default_channels=default_channels,
                        known=known,
                        created_by=created_by,
                        zone=zone,
                    ),
                )
            )
        except InvalidItem as exc:
            bad.append(RowError(line, str(exc)))
    if header is None:
        return [], [
            RowError(header_line or 1, f"empty file; expected a header {','.join(COLUMNS)}")
        ]
    return good, bad


class _Reader(Protocol):
    """The part of csv.reader's type this module uses (csv's own type is not public)."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...
