"""A TOML writer for generated configurations (the standard library only reads TOML).

Every table is written inline (`publishing = { "max_attempts" = 3 }`, `channels = [{ ... }]`),
which TOML 1.0 allows for any document, and every key is quoted, so any generated key or value
round-trips through `tomllib` unchanged (a test checks that).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

__all__ = ["dumps"]


def _string(text: str) -> str:
    # JSON's escapes are TOML's, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_string(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def dumps(document: Mapping[str, Any]) -> str:
    """`document` as TOML text, one top-level key a line."""
    return "".join(f"{_string(key)} = {_value(value)}\n" for key, value in document.items())
