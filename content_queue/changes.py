"""Writing only what changes: the one rule every staff command that changes a row follows.

A command that finds nothing to change (cancel a cancelled item, approve an approved one, an
edit that sets the values already there, a channel's own text set to the words it has, a pause
with the reason it already has) writes nothing: no `updated_at` moves, no audit entry is added,
and the command says so. `updated_at` and the audit log then mean "someone changed this", which
is what a person reading them (or a sync reading `updated_at`) takes them to mean.

`assign` sets the values that differ and names them; the caller stamps the time and writes the
audit entry only when it named some.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "assign"]


@dataclass(frozen=True)
class Change:
    """One field that took a new value."""

    name: str
    before: Any
    after: Any


def assign(row: object, values: Mapping[str, Any]) -> tuple[Change, ...]:
    """Set each of `values` on `row` whose current value differs; the changes, in order."""
    changed = []
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            setattr(row, name, value)
            changed.append(Change(name, before, value))
    return tuple(changed)
