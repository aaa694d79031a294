"""The report as JSON: the `Report` dataclass as it is, for programs.

Every field keeps its name and nesting; dates and times are ISO 8601 (instants in UTC), a
missing figure is `null`, shares are percentages (0 to 100).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime

from .model import Report

__all__ = ["render_json"]


def _default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def render_json(report: Report) -> str:
    return json.dumps(asdict(report), indent=2, ensure_ascii=False, default=_default) + "\n"
