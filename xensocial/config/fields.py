"""The generic checks every table of the configuration is read with: types, durations, zones,
unknown keys; and `FieldReader`, the protocol the table modules take them through.

Each table (`[[channels]]`, `[metrics]`, `[http]`...) is parsed in a module of its own, and each
error must name the file and the key the same way (`ConfigError(source, key, expected)`). So the
table modules receive a `FieldReader` and never build an error themselves; `Fields` is the one
implementation (`load._Parser` is a `Fields` for one file). This module imports no other part
of the configuration: every table module can import it, and it imports none of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..durations import parse_duration
from ..errors import ConfigError

__all__ = ["FieldReader", "Fields"]


class FieldReader(Protocol):
    """The generic checks a table's parser needs from the file's parser (`Fields`)."""

    def fail(self, key: str, expected: str) -> ConfigError: ...

    def check_keys(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None: ...

    def tables(self, raw: Any, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]: ...

    def whole(
        self, table: Mapping[str, Any], key: str, default: int, least: int, prefix: str = ""
    ) -> int: ...

    def typed(
        self,
        table: Mapping[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        expected: str,
        prefix: str = "",
    ) -> Any: ...

    def duration(
        self, table: Mapping[str, Any], key: str, default: timedelta, prefix: str = ""
    ) -> timedelta: ...

    def zone(self, value: Any, key: str) -> str: ...


class Fields:
    """The checks of `FieldReader` for one file: every error names `source` and the key."""

    def __init__(self, source: str) -> None:
        self.source = source
        # A large file repeats the same few durations ("3h", "5m") on every channel: each text
        # is parsed once (only texts that parsed are kept, so an error still names its key).
        self._durations: dict[str, timedelta] = {}

    def fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(self.source, key, expected)

    def check_keys(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail(
                    f"{prefix}{key}",
                    f"unknown key; {hint}expected one of {', '.join(sorted(allowed))}",
                )

    def tables(self, raw: Any, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """The `[[key]]` tables (absent: none), each with the prefix its keys' errors name
        (`key[0].`), refused with the same words for every such key. Checked one by one as
        they are read, so a file's first mistake is the one said."""
        if raw is None:
            return
        if not isinstance(raw, list):
            raise self.fail(key, f"expected [[{key}]] tables")
        for index, table in enumerate(raw):
            if not isinstance(table, Mapping):
                raise self.fail(f"{key}[{index}]", "expected a table")
            yield f"{key}[{index}].", table

    def typed(
        self,
        table: Mapping[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        expected: str,
        prefix: str = "",
    ) -> Any:
        value = table[key]
        if isinstance(value, bool) and kind in (int, (int, float)):
            raise self.fail(prefix + key, f"expected {expected}, got {value!r}")
        if not isinstance(value, kind):
            raise self.fail(prefix + key, f"expected {expected}, got {value!r}")
        return value

    def whole(
        self, table: Mapping[str, Any], key: str, default: int, least: int, prefix: str = ""
    ) -> int:
        """`table[key]` (absent: `default`) as a whole number `least` or more; a count that
        must be one (attempts, slots, repeats, reads) is refused with the same words in every
        table. TOML's `true` is no number here, though Python's bool is an int."""
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise self.fail(
                prefix + key, f"expected a whole number, {least} or more, got {value!r}"
            )
        return value

    def nonblank(self, table: Mapping[str, Any], key: str, expected: str) -> str | None:
        """The text of `key`, None when absent; a blank or non-text value is refused (a bare
        `or default` would quietly take the default for `""`, `0` or `false`)."""
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected {expected}, got {value!r}")
        return value

    def duration(
        self, table: Mapping[str, Any], key: str, default: timedelta, prefix: str = ""
    ) -> timedelta:
        if key not in table:
            return default
        value = self.typed(table, key, str, "a duration such as '90s', '5m' or '1h'", prefix)
        parsed = self._durations.get(value)
        if parsed is None:
            try:
                parsed = self._durations[value] = parse_duration(value)
            except ValueError as exc:
                raise self.fail(prefix + key, str(exc)) from None
        return parsed

    def zone(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(
                key, f"expected an IANA time zone name such as 'Europe/Amsterdam', got {value!r}"
            )
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: OSError
            raise self.fail(
                key,
                f"{value!r} is not a known time zone; expected e.g. 'UTC' or 'Europe/Amsterdam'",
            ) from None
        return value
