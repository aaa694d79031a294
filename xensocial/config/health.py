"""The `[health]` table of the configuration -> `HealthConfig`: when the daemon counts as unwell.

    [health]
    crashed_slots = 3      # unhealthy once this many slots in a row have crashed
    stale_after = "90s"    # unhealthy when no slot or tick completed its database work for this long

The daemon renews its heartbeat after each slot and each tick (every third of `stale_after`)
that completed its database work; `xensocial health`, `/healthz` and `/metrics` judge it by
these two numbers (see `xensocial.reporting.health`). A module of its own so the
health rule's knobs read as one idea.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .fields import FieldReader

__all__ = ["HEALTH_KEYS", "MIN_STALE_AFTER", "HealthConfig", "parse_health"]

HEALTH_KEYS = {"crashed_slots", "stale_after"}
MIN_STALE_AFTER = timedelta(
    seconds=3
)  # three ticks of a second: below it, a busy second is "stale"


@dataclass(frozen=True)
class HealthConfig:
    """Validated `[health]` settings."""

    crashed_slots: int = 3
    stale_after: timedelta = timedelta(seconds=90)

    @property
    def tick_every(self) -> timedelta:
        """How often the daemon's tick proves it can write: three chances before it is stale."""
        return self.stale_after / 3


def parse_health(reader: FieldReader, table: Any) -> HealthConfig:
    """Check the `[health]` table (absent: `{}`, the defaults); errors name the key."""
    if not isinstance(table, Mapping):
        raise reader.fail("health", "expected a [health] table")
    reader.check_keys(table, HEALTH_KEYS, "health.")
    defaults = HealthConfig()
    crashed = reader.whole(table, "crashed_slots", defaults.crashed_slots, 1, "health.")
    stale = reader.duration(table, "stale_after", defaults.stale_after, "health.")
    if stale < MIN_STALE_AFTER:
        raise reader.fail("health.stale_after", "expected a duration of 3 seconds or more")
    return HealthConfig(crashed_slots=crashed, stale_after=stale)
