"""The `[intake]` table of the configuration -> `IntakeConfig`: the limits of every fetch.

Feeds and curated links fetch untrusted URLs; how long a fetch may take, how many bytes it may
read, and whether it may reach private addresses are set once here and applied to both. A
module of its own so the fetcher's knobs read as one idea, and so that loading the
configuration imports no HTTP library: `IntakeConfig.fetch_limits()` builds the fetcher's
`FetchLimits` (and imports httpx) only when something is about to be fetched.

    [intake]
    connect_timeout = "10s"
    read_timeout = "20s"
    deadline = "60s"              # the whole fetch, redirects included
    max_bytes = 10_000_000        # of decompressed body
    max_redirects = 5
    allow_private_addresses = false
    user_agent = "xensocial (+https://example.org/bot)"
    fetch_link_details = true     # `queue add URL` without --title reads the page's title
    file_feeds_dir = "feeds"      # `feeds add file:PATH` only below it (default: no file: feeds)

`file_feeds_dir` exists because a `file:` feed reads the machine's disk: a staff member's
`feeds add file:/etc/shadow` would be accepted, and the poll's error or silence would tell
whether the file exists. Feeds the configuration file declares are the operator's own and are
not limited by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..intake.limits import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_READ_TIMEOUT,
)
from .fields import FieldReader

if TYPE_CHECKING:
    from ..intake.fetch import FetchLimits

__all__ = ["INTAKE_KEYS", "IntakeConfig", "parse_intake"]

INTAKE_KEYS = {
    "connect_timeout",
    "read_timeout",
    "deadline",
    "max_bytes",
    "max_redirects",
    "allow_private_addresses",
    "user_agent",
    "fetch_link_details",
    "file_feeds_dir",
}


@dataclass(frozen=True)
class IntakeConfig:
    """Validated `[intake]` settings; the defaults are the fetcher's."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    allow_private_addresses: bool = False
    user_agent: str | None = None  # None: the fetcher's own
    # `queue add URL` without --title reads the page for its title and description. False
    # never fetches (an air-gapped host, or a test suite that must not reach the internet).
    fetch_link_details: bool = True
    # `feeds add file:PATH` accepts only files below this directory (absolute, resolved);
    # None refuses every `file:` feed added from the CLI.
    file_feeds_dir: Path | None = None

    def fetch_limits(self, **overrides: Any) -> FetchLimits:
        """The fetcher's limits for these settings (imports the fetcher, and so httpx)."""
        from ..intake.fetch import FetchLimits

        values: dict[str, Any] = {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "deadline": self.deadline,
            "max_bytes": self.max_bytes,
            "max_redirects": self.max_redirects,
            "allow_private_addresses": self.allow_private_addresses,
        }
        if self.user_agent:
            values["user_agent"] = self.user_agent
        values.update(overrides)
        return FetchLimits(**values)


def parse_intake(reader: FieldReader, table: Any, config_dir: Path) -> IntakeConfig:
    """Check the `[intake]` table (absent: `{}`); errors name the key, as the rest of config.
    A relative `file_feeds_dir` is resolved against `config_dir` (the configuration's folder)."""
    if not isinstance(table, Mapping):
        raise reader.fail("intake", "expected an [intake] table")
    reader.check_keys(table, INTAKE_KEYS, "intake.")
    defaults = IntakeConfig()

    def seconds(key: str, default: float) -> float:
        value = reader.duration(table, key, timedelta(seconds=default), "intake.")
        if value <= timedelta(0):
            raise reader.fail(f"intake.{key}", "expected a duration above zero, such as '10s'")
        return value.total_seconds()

    def count(key: str, default: int, minimum: int) -> int:
        if key not in table:
            return default
        value = reader.typed(table, key, int, "a whole number", "intake.")
        if value < minimum:
            raise reader.fail(f"intake.{key}", f"expected {minimum} or more, got {value}")
        return int(value)

    allow = table.get("allow_private_addresses", False)
    if not isinstance(allow, bool):
        raise reader.fail(
            "intake.allow_private_addresses", f"expected true or false, got {allow!r}"
        )
    fetch_details = table.get("fetch_link_details", True)
    if not isinstance(fetch_details, bool):
        raise reader.fail(
            "intake.fetch_link_details", f"expected true or false, got {fetch_details!r}"
        )
    agent = table.get("user_agent")
    if agent is not None and (not isinstance(agent, str) or not agent.strip() or "\n" in agent):
        raise reader.fail("intake.user_agent", "expected a one-line, non-empty string")
    feeds_dir = table.get("file_feeds_dir")
    if feeds_dir is not None and (not isinstance(feeds_dir, str) or not feeds_dir.strip()):
        raise reader.fail("intake.file_feeds_dir", "expected the path of a directory")
    connect = seconds("connect_timeout", defaults.connect_timeout)
    read = seconds("read_timeout", defaults.read_timeout)
    deadline = seconds("deadline", defaults.deadline)
    if deadline < connect:
        raise reader.fail(
            "intake.deadline",
            f"expected at least connect_timeout ({connect:g} s), got {deadline:g} s",
        )
    return IntakeConfig(
        connect_timeout=connect,
        read_timeout=read,
        deadline=deadline,
        max_bytes=count("max_bytes", defaults.max_bytes, 1024),
        max_redirects=count("max_redirects", defaults.max_redirects, 0),
        allow_private_addresses=allow,
        user_agent=agent,
        fetch_link_details=fetch_details,
        file_feeds_dir=None if feeds_dir is None else (config_dir / feeds_dir).resolve(),
    )
