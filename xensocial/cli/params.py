"""Option and argument types shared by the commands: item ids, priorities, output files.

Declared once so every command refuses the same bad values the same way, at parse time (exit 2,
one line, nothing opened), with the bounds the databases can store (`content_queue.limits`):
without them a huge number reached SQLite or PostgreSQL and came back as a database error.
Every `--out FILE` goes through `out_format`: a file whose extension names a format the command
does not write (`report monthly --out dec.pdf` wrote Markdown into a .pdf) is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from content_queue.limits import MAX_ITEM_ID, PRIORITY_MAX, PRIORITY_MIN

from ..errors import UsageError

__all__ = ["ITEM_ID", "LIMIT", "MAX_ITEM_ID", "PRIORITY", "ItemId", "Limit", "out_format"]


class ItemId(click.types.IntParamType):
    """An item's id: a whole number; one no item can have (0, negative, beyond any database
    integer) is refused as "no item with id N", as a number no item has yet would be."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not an item id; expected a number such as 12", param, ctx)
        if not 1 <= number <= MAX_ITEM_ID:
            self.fail(f"no item with id {number}", param, ctx)
        return number


class Limit(click.types.IntParamType):
    """`--limit N` of a list: at most N rows, N at least 1. A number beyond any database integer
    (`--limit 9223372036854775808` was an OverflowError, exit 1) means all of them: it is
    taken as the largest one, a LIMIT both databases accept."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number = int(super().convert(value, param, ctx))
        if number < 1:
            self.fail(f"{number} is not in the range x>=1.", param, ctx)
        return min(number, MAX_ITEM_ID)


LIMIT = Limit()
_NAME_MAX = 255  # bytes in one file name, on every file system the program runs on

ITEM_ID = ItemId()
PRIORITY = click.IntRange(PRIORITY_MIN, PRIORITY_MAX)


def out_format(
    out: str | Path | None,
    extensions: Mapping[str, str],
    *,
    default: str,
    given: str | None = None,
) -> str:
    """The format a command writes to `out`: `given` (--format), else the one its extension
    names in `extensions` (".html" -> "html"), else `default`. A name without an extension
    takes any format. Raises UsageError (exit 2, one line) when the extension names no
    format the command writes, or another format than --format asks for."""
    if out is None:
        return given or default
    too_long = [p for p in Path(out).parts if len(os.fsencode(p)) > _NAME_MAX]
    if too_long:
        raise UsageError(
            f"--out {str(out)!r}: a name in it is longer than the {_NAME_MAX} bytes a file "
            "name may have"
        )
    suffix = Path(out).suffix.lower()
    if not suffix:
        return given or default
    named = extensions.get(suffix)
    if named is None:
        raise UsageError(
            f"--out {str(out)!r}: {suffix} is not a format this command writes; name the file "
            f"{_choices(extensions)}, or leave the extension out"
        )
    if given is not None and named != given:
        wanted = [e for e, f in extensions.items() if f == given]
        raise UsageError(
            f"--out {str(out)!r} names the {named} format, but --format {given} was asked for; "
            f"name the file {' or '.join(wanted) or 'without an extension'}"
        )
    return named


def _choices(extensions: Mapping[str, str]) -> str:
    names = list(extensions)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
