"""The `[publishing]` table of the configuration -> `PublishingConfig`: how the publisher tries.

    [publishing]
    max_attempts = 3             # tries of one delivery within one slot
    backoff = "2s"               # first wait between tries; doubles each time, up to backoff_max
    lease = "5m"                 # how long a publishing delivery is ours alone
    timeout = "10s"              # network connect/read timeout per request
    posts_at_once = 4            # posts sent to one network at the same time (docs/scale.md)

    [publishing.posts_at_once_per_network]
    x = 2

Kept apart from the loader so the publisher's knobs read as one idea. A network named in
`posts_at_once_per_network` must be an installed adapter; the loader passes the channel
parser's `known_networks`, so the installed adapters are read once per file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .fields import FieldReader

__all__ = ["MAX_POSTS_AT_ONCE", "PUBLISHING_KEYS", "PublishingConfig", "parse_publishing"]

PUBLISHING_KEYS = {
    "max_attempts",
    "backoff",
    "backoff_max",
    "lease",
    "settle",
    "timeout",
    "max_items_per_slot",
    "posts_at_once",
    "posts_at_once_per_network",
}
MAX_POSTS_AT_ONCE = 64  # per network: each is a thread and a database connection


@dataclass(frozen=True)
class PublishingConfig:
    max_attempts: int = 3  # tries of one delivery within one slot
    backoff: timedelta = timedelta(seconds=2)  # first wait between tries; doubles each time
    backoff_max: timedelta = timedelta(seconds=30)
    lease: timedelta = timedelta(minutes=5)  # how long a publishing delivery is ours alone
    # How long after an attempt a network whose lookup settles (X) surely shows its post: a
    # post still not found then (and read at least twice) was not made. See `in_doubt`.
    settle: timedelta = timedelta(minutes=5)
    timeout: timedelta = timedelta(seconds=10)  # network connect/read timeout per request
    max_items_per_slot: int = 5  # items a slot may try when the network rejects them
    # Posts this process sends to one network at the same time (a slot storm: many channels
    # sharing a slot); per network name, all its channels together. See docs/scale.md.
    posts_at_once: int = 4
    posts_at_once_per_network: Mapping[str, int] = field(default_factory=dict)

    def posts_at_once_for(self, network: str) -> int:
        return self.posts_at_once_per_network.get(network, self.posts_at_once)


def parse_publishing(
    reader: FieldReader, table: Any, known_networks: Callable[[], list[str]]
) -> PublishingConfig:
    """Check the `[publishing]` table (absent: `{}`); errors name the key."""
    if not isinstance(table, dict):
        raise reader.fail("publishing", "expected a [publishing] table")
    reader.check_keys(table, PUBLISHING_KEYS, "publishing.")
    d = PublishingConfig()
    attempts = table.get("max_attempts", d.max_attempts)
    per_slot = table.get("max_items_per_slot", d.max_items_per_slot)
    for key, value in (("max_attempts", attempts), ("max_items_per_slot", per_slot)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise reader.fail(
                f"publishing.{key}", f"expected a whole number of at least 1, got {value!r}"
            )
    positive = {}
    for key, default in (("lease", d.lease), ("settle", d.settle), ("timeout", d.timeout)):
        positive[key] = reader.duration(table, key, default, "publishing.")
        if positive[key] <= timedelta(0):  # every post would fail, or lose its owner at once
            raise reader.fail(f"publishing.{key}", "expected a duration above zero, such as '10s'")
    return PublishingConfig(
        max_attempts=attempts,
        backoff=reader.duration(table, "backoff", d.backoff, "publishing."),
        backoff_max=reader.duration(table, "backoff_max", d.backoff_max, "publishing."),
        lease=positive["lease"],
        settle=positive["settle"],
        timeout=positive["timeout"],
        max_items_per_slot=per_slot,
        posts_at_once=_posts_at_once(
            reader, table.get("posts_at_once", d.posts_at_once), "publishing.posts_at_once"
        ),
        posts_at_once_per_network=_posts_at_once_per_network(reader, table, known_networks),
    )


def _posts_at_once(reader: FieldReader, value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POSTS_AT_ONCE:
        raise reader.fail(
            key, f"expected a whole number from 1 to {MAX_POSTS_AT_ONCE}, got {value!r}"
        )
    return value


def _posts_at_once_per_network(
    reader: FieldReader, table: Mapping[str, Any], known_networks: Callable[[], list[str]]
) -> dict[str, int]:
    """`[publishing.posts_at_once_per_network]`: network name -> posts at once."""
    key = "posts_at_once_per_network"
    limits = table.get(key, {})
    if not isinstance(limits, dict):
        raise reader.fail(
            f"publishing.{key}", "expected a table of network = number, such as { x = 2 }"
        )
    known = known_networks() if limits else []
    for network in limits:
        if network not in known:
            raise reader.fail(
                f"publishing.{key}.{network}",
                f"no adapter named {network!r} is installed; expected one of "
                f"{', '.join(known) or 'none'}",
            )
    return {n: _posts_at_once(reader, v, f"publishing.{key}.{n}") for n, v in limits.items()}
