"""Option and argument types shared by the commands: item ids and priorities.

Declared once so every command refuses the same bad values the same way, at parse time (exit 2,
one line, nothing opened), with the bounds the databases can store (`content_queue.limits`):
without them a huge number reached SQLite or PostgreSQL and came back as a database error.
"""

from __future__ import annotations

from typing import Any

import click

from content_queue.limits import MAX_ITEM_ID, PRIORITY_MAX, PRIORITY_MIN

__all__ = ["ITEM_ID", "MAX_ITEM_ID", "PRIORITY", "ItemId"]


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


ITEM_ID = ItemId()
PRIORITY = click.IntRange(PRIORITY_MIN, PRIORITY_MAX)
