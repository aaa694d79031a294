"""The `[metrics]` table of the configuration -> `MetricsConfig`: when and how much to read.

    [metrics]
    ages = ["1h", "24h", "7d", "30d"]   # engagement readings after a post is published
    followers_every = "1d"             # a follower count per channel this often
    poll_every = "15m"                 # how often the daemon runs a collection round

    [metrics.budget]                   # reads per calendar month, per network (absent: no limit)
    x = 100

A module of its own so the collector's knobs read as one idea.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..durations import parse_duration
from .fields import FieldReader

__all__ = ["METRICS_KEYS", "MetricsConfig", "parse_metrics"]

METRICS_KEYS = {"ages", "followers_every", "poll_every", "budget"}
_DEFAULT_AGES = (timedelta(hours=1), timedelta(hours=24), timedelta(days=7), timedelta(days=30))


@dataclass(frozen=True)
class MetricsConfig:
    """Validated `[metrics]` settings."""

    ages: tuple[timedelta, ...] = _DEFAULT_AGES
    followers_every: timedelta = timedelta(days=1)
    poll_every: timedelta = timedelta(minutes=15)
    budget: Mapping[str, int] = field(default_factory=dict)  # network -> reads a month

    def budget_for(self, network: str) -> int | None:
        return self.budget.get(network)


def parse_metrics(reader: FieldReader, table: Any) -> MetricsConfig:
    """Check the `[metrics]` table (absent: `{}`); errors name the key."""
    if not isinstance(table, Mapping):
        raise reader.fail("metrics", "expected a [metrics] table")
    reader.check_keys(table, METRICS_KEYS, "metrics.")
    defaults = MetricsConfig()

    def positive(key: str, default: timedelta) -> timedelta:
        value = reader.duration(table, key, default, "metrics.")
        if value <= timedelta(0):
            raise reader.fail(f"metrics.{key}", "expected a duration above zero, such as '1d'")
        return value

    ages = defaults.ages
    if "ages" in table:
        raw = table["ages"]
        if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
            raise reader.fail("metrics.ages", 'expected a list of durations, e.g. ["1h", "24h"]')
        try:
            parsed = sorted({parse_duration(a) for a in raw})
        except ValueError as exc:
            raise reader.fail("metrics.ages", str(exc)) from None
        if any(a <= timedelta(0) for a in parsed):
            raise reader.fail("metrics.ages", "every age must be above zero")
        ages = tuple(parsed)
    budget_table = table.get("budget", {})
    if not isinstance(budget_table, Mapping):
        raise reader.fail("metrics.budget", "expected a table of network = reads per month")
    budget: dict[str, int] = {}
    for network in budget_table:
        budget[str(network)] = reader.whole(budget_table, network, 0, 0, "metrics.budget.")
    return MetricsConfig(
        ages=ages,
        followers_every=positive("followers_every", defaults.followers_every),
        poll_every=positive("poll_every", defaults.poll_every),
        budget=budget,
    )
