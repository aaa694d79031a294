"""The `[imports]` table of the configuration -> `ImportsConfig`: how much of a CSV file an
import reads (`queue import`, `clips import`, `activity import` and `import_at_start`).

    [imports]
    max_file_size = "50 MB"     # a larger file is refused before it is read
    max_row_length = "64 KB"    # a longer row is refused (a longer first line: the whole file)

Sizes are a whole number of bytes or a number with a unit: B, KB, MB, GB (1 KB = 1,024 bytes,
as file managers count; KiB, MiB and GiB are accepted too). The result is the CSV reader's own
`content_queue.csvrecords.CsvLimits`, whose defaults (which fit real use) are the defaults here:
the limits are what keeps `queue import /dev/zero` from filling the memory. The reader is
light (the standard library's csv, no SQLAlchemy), so every command may load it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from content_queue.csvrecords import CsvLimits

from .fields import FieldReader

__all__ = ["IMPORTS_KEYS", "parse_imports", "parse_size"]

IMPORTS_KEYS = {"max_file_size", "max_row_length"}
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*", re.IGNORECASE)
_MIN_ROW = 1024  # a header row alone needs some room
_EXPECTED = "a size such as '50 MB', '64 KB' or a whole number of bytes"


def parse_size(value: str) -> int:
    """Bytes in `value` ('50 MB', '64 KiB', '1.5 GB', '4096'); ValueError when it is none."""
    found = _SIZE.fullmatch(value)
    if found is None:
        raise ValueError(f"{value!r} is not {_EXPECTED}")
    number, unit = found.groups()
    return int(float(number) * _UNITS[(unit or "b").lower().replace("i", "")])


def parse_imports(reader: FieldReader, table: Any) -> CsvLimits:
    """Check the `[imports]` table (absent: `{}`); errors name the key, as the rest of config."""
    if not isinstance(table, Mapping):
        raise reader.fail("imports", "expected an [imports] table")
    reader.check_keys(table, IMPORTS_KEYS, "imports.")
    defaults = CsvLimits()

    def size(key: str, default: int, minimum: int) -> int:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise reader.fail(f"imports.{key}", f"expected {_EXPECTED}, got {value!r}")
        try:
            got = value if isinstance(value, int) else parse_size(value)
        except ValueError as exc:
            raise reader.fail(f"imports.{key}", str(exc)) from None
        if got < minimum:
            raise reader.fail(f"imports.{key}", f"expected at least {minimum:,} bytes, got {got:,}")
        return got

    row = size("max_row_length", defaults.max_row_bytes, _MIN_ROW)
    return CsvLimits(
        max_file_bytes=size("max_file_size", defaults.max_file_bytes, row), max_row_bytes=row
    )
