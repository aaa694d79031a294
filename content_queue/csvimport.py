"""Reading a CSV file of items into `NewItem`s, with every bad row reported by its line number.

Parsing is separate from adding (`ContentQueue.add_many`) so that the CLI and the daemon's
`import_at_start` read files the same way. The rows are read as a stream (`iter_csv`), so an
import holds one row at a time whatever the file's size (within `csvrecords.CsvLimits`), and
a bad row is named with every other one before anything is kept.

The format (a header row is required; only `url` is mandatory):

    url,title,text,category,tags,channels,not_before,priority,images,alts

- `tags` and `channels` are separated by `;`; empty `channels` means the default channels;
- `images` and `alts` are kept as written (`NewItem.unread_images`): the queue reads no file,
  the service reads them (`xensocial.cli.images`) before the row is added;
- `not_before` is ISO 8601; a value without an offset is read in `timezone` (UTC by default);
- `priority` is a whole number (0 when empty);
- line numbers are the file's physical lines (a quoted field may span lines: the row's first
  line is reported); a UTF-8 byte-order mark and CRLF line ends are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from .csvrecords import DEFAULT_LIMITS, CsvLimits, Record, read_records
from .errors import InvalidItem, RowError
from .queue import check_new_item
from .timeutil import as_utc
from .urls import validate_url
from .views import NewItem

__all__ = ["COLUMNS", "iter_csv", "iter_rows"]

T = TypeVar("T")

COLUMNS = (
    "url",
    "title",
    "text",
    "category",
    "tags",
    "channels",
    "not_before",
    "priority",
    "images",
    "alts",
)


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
    try:
        return as_utc(parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed)
    except OverflowError:  # before year 1 or after 9999 once in UTC
        raise InvalidItem("not_before", f"{value!r} is out of range") from None


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
            f"unknown channel(s) {', '.join(map(repr, unknown))}; known: {', '.join(known) or 'none'}",
        )
    priority_raw = cell("priority")
    try:
        priority = int(priority_raw) if priority_raw else 0
    except ValueError:
        raise InvalidItem("priority", f"{priority_raw!r} is not a whole number") from None
    not_before_raw = cell("not_before")
    new = NewItem(
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
    check_new_item(new)  # the queue's own limits, now: one import names every bad row
    if cell("images") or cell("alts"):  # files: read by the service (see NewItem)
        return replace(new, unread_images=(cell("images"), cell("alts")))
    return new


def iter_csv(
    path: Path,
    *,
    default_channels: Sequence[str],
    created_by: str,
    known_channels: Sequence[str] | None = None,
    timezone: str = "UTC",
    limits: CsvLimits = DEFAULT_LIMITS,
) -> Iterator[tuple[int, NewItem] | RowError]:
    """The rows of the CSV file at `path`, in the file's order, each a (line, NewItem) or a
    RowError, read as they are asked for (see `iter_rows`).

    `known_channels` (default: `default_channels`) are the channel names a row may name.
    A problem with the file as a whole (unreadable, no header, unknown columns) is one RowError
    on line 1 and no rows; a file beyond `limits` raises FileRefused."""
    known = list(known_channels if known_channels is not None else default_channels)
    zone = ZoneInfo(timezone)
    return iter_rows(
        path,
        columns=COLUMNS,
        required=("url",),
        build=lambda record: _row(
            record,
            default_channels=default_channels,
            known=known,
            created_by=created_by,
            zone=zone,
        ),
        limits=limits,
    )


def iter_rows(
    path: Path,
    *,
    columns: Sequence[str],
    required: Sequence[str],
    build: Callable[[dict[str, str]], T],
    limits: CsvLimits = DEFAULT_LIMITS,
) -> Iterator[tuple[int, T] | RowError]:
    """Every row of the CSV file at `path` built by `build`, with its line number, or a
    RowError for each row `build` refused (by raising InvalidItem), in the file's order.

    The file's rules are those of the module docstring, whatever the rows become: a header row
    of names among `columns`, including every one of `required`; `build` gets each row as
    {column: stripped value}, with "" for columns the file does not have. Shared by the item
    import and the coverage imports (`coverage_csv`), so every CSV file is read the same way.

    The file is read as the rows are asked for, within `limits` (`csvrecords`): a consumer that
    handles each row before asking for the next holds one row at a time, whatever the file's
    size. A file beyond the limits, or not CSV text, raises FileRefused when it is found out:
    at the first row for a regular file too large, and for a file that is not text."""
    try:
        yield from _parse(read_records(path, limits), columns, required, build)
    except FileNotFoundError:
        yield RowError(1, f"{path}: no such file")
    except OSError as exc:
        yield RowError(1, f"{path}: cannot be read ({exc.strerror or exc})")


def _header_problem(
    header: Sequence[str], columns: Sequence[str], required: Sequence[str]
) -> str | None:
    expected = ",".join(columns)
    unknown = [h for h in header if h not in columns]
    if unknown:
        return (
            f"unknown column(s) {', '.join(repr(u) for u in unknown)}; expected some of {expected}"
        )
    missing = [r for r in required if r not in header]
    if missing:
        return f"the header needs a {missing[0]!r} column; expected {expected}"
    if len(set(header)) != len(header):
        return "a column is named twice in the header"
    return None


def _parse(
    records: Iterable[Record],
    columns: Sequence[str],
    required: Sequence[str],
    build: Callable[[dict[str, str]], T],
) -> Iterator[tuple[int, T] | RowError]:
    header: list[str] | None = None
    header_line = 0
    for line, fields, problem in ((r.line, r.fields, r.problem) for r in records):
        if problem is not None:  # named, and the rest of the file is still checked
            if header is None:
                yield RowError(line, f"the header: {problem}")
                return
            yield RowError(line, problem)
            continue
        if not any(field.strip() for field in fields):
            continue  # blank lines carry nothing
        if header is None:
            header = [field.strip().lower() for field in fields]
            header_line = line
            problem = _header_problem(header, columns, required)
            if problem is not None:
                yield RowError(line, problem)
                return
            continue
        if len(fields) > len(header):
            yield RowError(line, f"{len(fields)} fields, the header has {len(header)}")
            continue
        record = dict.fromkeys(columns, "")
        record.update(zip(header, (field.strip() for field in fields), strict=False))
        try:
            built = build(record)
        except InvalidItem as exc:
            yield RowError(line, str(exc))
            continue
        yield line, built
    if header is None:
        yield RowError(header_line or 1, f"empty file; expected a header {','.join(columns)}")
