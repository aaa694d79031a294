"""The content mix: which category a channel's next slot asks for, as pure functions.

A channel's mix gives each category a target share of its posts (news 40 %, resource 30 %,
article 20 %, event 10 %). Over a rolling window (14 days by default) a slot asks first for the
category furthest behind its share: the one whose count is furthest below
`target × (posts + 1)`, what it should have once this slot has posted. This is smooth weighted
round-robin (the way nginx spreads requests over weighted servers): with every category
supplied, each count stays within a post or two of its target, so the shares converge; and a
category that has something to post is never starved, because its debt grows with every slot
that passes it over. When the category asked for has nothing, the slot asks for the next one.

Only posts of the mix's own categories are counted: announcements (which go ahead of the mix)
and categories the mix does not name are extra posts, which neither use up a share nor make the
others look behind.

Shares are weights: `{news = 2, resource = 1}` is the same mix as `{news = 0.67, resource =
0.33}`; `Mix.of` normalises them to sum to 1 (so a mix that does not add up to exactly 1 is
not an error, and `schedule` shows the shares in force).

No database and no SQLAlchemy here: the configuration parser imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["DEFAULT_WINDOW", "Due", "Mix", "due_order", "percent"]

DEFAULT_WINDOW = timedelta(days=14)
_TIE = 9  # decimals a debt is rounded to before comparing: float noise must not break ties


def percent(share: float) -> str:
    """0.4 -> '40%'; shares shown to people are whole percentages."""
    return f"{share:.0%}"


@dataclass(frozen=True)
class Mix:
    """Target shares by category (normalised, in the order given) and the window counted."""

    targets: tuple[tuple[str, float], ...]
    window: timedelta = DEFAULT_WINDOW

    @classmethod
    def of(cls, weights: Mapping[str, float], window: timedelta = DEFAULT_WINDOW) -> Mix:
        """A mix from category -> weight. Raises ValueError naming the problem: no category, a
        blank or repeated category (categories are compared in lower case, as items store
        them), a weight that is not a number above zero, or a window that is not positive."""
        if not weights:
            raise ValueError("a mix needs at least one category")
        if window <= timedelta(0):
            raise ValueError("the mix window must be longer than zero")
        cleaned: dict[str, float] = {}
        for name, weight in weights.items():
            category = name.strip().lower()
            if not category:
                raise ValueError("a category name must not be empty")
            if category in cleaned:
                raise ValueError(f"category {category!r} is given twice")
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not math.isfinite(weight)
                or weight <= 0
            ):
                raise ValueError(f"the share of {category!r} must be a number above zero")
            cleaned[category] = float(weight)
        total = sum(cleaned.values())
        return cls(tuple((c, w / total) for c, w in cleaned.items()), window)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.targets)

    def target(self, category: str) -> float:
        return dict(self.targets).get(category, 0.0)

    def describe(self) -> str:
        """'news 40%, resource 30%' (for `channels list` and the logs)."""
        return ", ".join(f"{c} {percent(t)}" for c, t in self.targets)


@dataclass(frozen=True)
class Due:
    """One category of the mix at one slot: its target, and its posts among `total` posts of
    the mix's categories in the window."""

    category: str
    target: float
    count: int
    total: int

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def debt(self) -> float:
        """Posts it is owed once this slot has posted: above zero means behind its share."""
        return round(self.target * (self.total + 1) - self.count, _TIE)

    def describe(self) -> str:
        """'news 20% of 40%': its share of the window so far, of its target."""
        return f"{self.category} {percent(self.share)} of {percent(self.target)}"


def due_order(mix: Mix, published: Mapping[str, int]) -> list[Due]:
    """The mix's categories in the order a slot asks for them: the largest debt first, then the
    larger target, then by name (so the order is total and repeatable). `published` counts the
    channel's posts in the window by category; categories outside the mix are ignored."""
    total = sum(published.get(c, 0) for c in mix.categories)
    dues = [Due(c, t, published.get(c, 0), total) for c, t in mix.targets]
    return sorted(dues, key=lambda d: (-d.debt, -d.target, d.category))
