"""The configuration: one TOML file -> one validated, frozen `Settings`.

Which file: `--config PATH`, else `$XENSOCIAL_CONFIG`, else the embedded demo (`config/demo.toml`,
shipped inside the package; `Settings.demo` says so, and the CLI says it on stderr). An empty
`--config ""` is refused rather than taken as "the demo". Everything is checked here, once: an
unknown key, a bad time or zone, an unknown adapter, a duplicate channel name or an inline secret
raises one `ConfigError` that names the file, the key and what was expected (the CLI exits 2).

Paths (`config_paths.py`): state (the SQLite file, the outbox) lives in `data_dir`, resolved
against the configuration file's folder (never the working directory; `$XENSOCIAL_DATA_DIR`
overrides it); the demo keeps its state in ./xensocial-demo. Input files (`import_at_start`)
are resolved next to the configuration file.

Secrets are never inline: each value under `[channels.secrets]` is `env:NAME` or `file:PATH`,
checked here for form only and resolved when an adapter is built (`secrets.resolve_secrets`), so
reading the configuration for `queue list` needs no secret at all. Nothing here imports a network or scheduler library.

The `[[channels]]` tables are parsed in `config_channels.py` (re-exported here: `ChannelConfig`).
"""

from __future__ import annotations

import difflib
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from content_queue.csvrecords import CsvLimits

try:  # the standard library's tomllib as released on its own, but compiled: 3x faster
    import tomli as _toml  # (70 -> 22 ms for 1,000 channels, bench/config_load.py)
except ImportError:  # pragma: no cover - the same parser and messages, only slower
    import tomllib as _toml  # type: ignore[no-redef]

from .config_blackouts import BlackoutConfig, parse_blackouts
from .config_channels import CHANNEL_KEYS as _CHANNEL_KEYS  # noqa: F401  (tests check docs against it)
from .config_channels import ChannelConfig, ChannelParser
from .config_editorial import EditorialConfig, parse_editorial
from .config_feeds import FeedConfig, check_feed_category, parse_feeds
from .config_health import HealthConfig, parse_health
from .config_http import HttpConfig, parse_http
from .config_imports import parse_imports
from .config_intake import IntakeConfig, parse_intake
from .config_metrics import MetricsConfig, parse_metrics
from .config_paths import DEFAULT_DATA_DIR, DEMO_DATA_DIR, backend, data_dir, database_url
from .config_report import (
    CoverageFeedConfig,
    ReportConfig,
    parse_coverage_feeds,
    parse_report,
)
from .durations import parse_duration
from .errors import ConfigError, UsageError

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEMO_DATA_DIR",
    "DEMO_NOTICE",
    "ChannelConfig",
    "PublishingConfig",
    "Settings",
    "demo_config_path",
    "load_settings",
]

DEMO_NOTICE = "using the embedded demo configuration; pass --config or set XENSOCIAL_CONFIG"

_TOP_KEYS = {
    "database_url",
    "timezone",
    "data_dir",
    "identity",
    "catch_up_grace",
    "auto_migrate",
    "import_at_start",
    "log_level",
    "log_format",
    "publishing",
    "channels",
    "feeds",
    "intake",
    "metrics",
    "report",
    "coverage_feeds",
    "http",
    "health",
    "blackouts",
    "editorial",
    "categories",
    "imports",
}
_PUBLISHING_KEYS = {
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


@dataclass(frozen=True)
class Settings:
    source: str  # the file it came from, as shown in messages
    database_url: str
    timezone: str
    data_dir: Path
    identity: str
    catch_up_grace: timedelta
    auto_migrate: bool
    import_at_start: tuple[Path, ...]
    log_level: str
    log_format: str
    publishing: PublishingConfig
    channels: tuple[ChannelConfig, ...]
    config_dir: Path
    feeds: tuple[FeedConfig, ...] = ()  # [[feeds]], see config_feeds.py
    intake: IntakeConfig = IntakeConfig()  # [intake]: the limits of every fetch
    metrics: MetricsConfig = MetricsConfig()  # [metrics]: see config_metrics.py
    report: ReportConfig = ReportConfig()  # [report]: see config_report.py
    coverage_feeds: tuple[CoverageFeedConfig, ...] = ()  # [[coverage_feeds]]: news searches
    http: HttpConfig = HttpConfig()  # [http]: the daemon's endpoint, see config_http.py
    health: HealthConfig = HealthConfig()  # [health]: what counts as unwell, config_health.py
    blackouts: tuple[BlackoutConfig, ...] = ()  # [[blackouts]]: see config_blackouts.py
    editorial: EditorialConfig = EditorialConfig()  # [editorial]: see config_editorial.py
    categories: tuple[str, ...] = ()  # `categories`: besides the built-in ones (item_rules.py)
    demo: bool = False  # the embedded demo, chosen because no file was named
    imports: CsvLimits = CsvLimits()  # [imports]: how much of a CSV file is read (config_imports)

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    def channel(self, name: str) -> ChannelConfig:
        found = self._by_name.get(name)
        if found is not None:
            return found
        raise UsageError(
            f"no channel named {name!r} in {self.source} "
            f"(channels: {', '.join(self.channel_names) or 'none'})"
        )

    @cached_property
    def _by_name(self) -> dict[str, ChannelConfig]:
        # Asked per delivery (reconciling after a slot storm): a scan of 1,000 channels each.
        return {c.name: c for c in self.channels}

    def is_sqlite(self) -> bool:
        # database_url is always rendered by `_Parser.database_url`: the scheme comes first.
        return backend(self.database_url) == "sqlite"


def demo_config_path() -> Path:
    """The embedded demo configuration: inside the installed package, or the checkout's."""
    shipped = resources.files("xensocial").joinpath("_defaults/demo.toml")
    if shipped.is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "config" / "demo.toml"


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read and validate the configuration (see the module docstring for which file)."""
    env = os.environ if env is None else env
    if path is not None and not str(path).strip():  # `--config ""`: a slip, never "the demo"
        raise UsageError(
            "--config names no file; give the configuration file's path, e.g. "
            "--config /etc/xensocial/xensocial.toml"
        )
    chosen = (
        Path(path)
        if path is not None
        else Path(env["XENSOCIAL_CONFIG"])
        if env.get("XENSOCIAL_CONFIG")
        else None
    )
    file = chosen if chosen is not None else demo_config_path()
    source = str(file)
    try:
        with file.open("rb") as f:
            raw = _toml.load(f)
    except FileNotFoundError:
        raise ConfigError(source, "", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(source, "", "is a directory, expected a TOML file") from None
    except PermissionError:
        raise ConfigError(source, "", "cannot be read (permission denied)") from None
    except _toml.TOMLDecodeError as exc:
        raise ConfigError(source, "", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:  # tomllib decodes before parsing, and lets this through
        raise ConfigError(source, "", f"not valid TOML (not UTF-8 text: {exc.reason})") from None
    return _Parser(source, file.resolve().parent, env, demo=chosen is None).settings(raw)


class _Parser:
    def __init__(
        self, source: str, config_dir: Path, env: Mapping[str, str], *, demo: bool = False
    ) -> None:
        self.source, self.config_dir, self.env, self.demo = source, config_dir, env, demo
        # A large file repeats the same few durations ("3h", "5m") on every channel: each text
        # is parsed once (only texts that parsed are kept, so an error still names its key).
        self._durations: dict[str, timedelta] = {}

    def fail(self, key: str, expected: str) -> ConfigError:
        return ConfigError(self.source, key, expected)

    def check_keys(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise self.fail(
                    f"{prefix}{key}",
                    f"unknown key; {hint}expected one of {', '.join(sorted(allowed))}",
                )

    def typed(
        self,
        table: Mapping[str, Any],
        key: str,
        kind: type | tuple[type, ...],
        expected: str,
        prefix: str = "",
    ) -> Any:
        value = table[key]
        if isinstance(value, bool) and kind in (int, (int, float)):
            raise self.fail(prefix + key, f"expected {expected}, got {value!r}")
        if not isinstance(value, kind):
            raise self.fail(prefix + key, f"expected {expected}, got {value!r}")
        return value

    def nonblank(self, table: Mapping[str, Any], key: str, expected: str) -> str | None:
        """The text of `key`, None when absent; a blank or non-text value is refused (a bare
        `or default` would quietly take the default for `""`, `0` or `false`)."""
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected {expected}, got {value!r}")
        return value

    def duration(
        self, table: Mapping[str, Any], key: str, default: timedelta, prefix: str = ""
    ) -> timedelta:
        if key not in table:
            return default
        value = self.typed(table, key, str, "a duration such as '90s', '5m' or '1h'", prefix)
        parsed = self._durations.get(value)
        if parsed is None:
            try:
                parsed = self._durations[value] = parse_duration(value)
            except ValueError as exc:
                raise self.fail(prefix + key, str(exc)) from None
        return parsed

    def zone(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(
                key, f"expected an IANA time zone name such as 'Europe/Amsterdam', got {value!r}"
            )
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: OSError
            raise self.fail(
                key,
                f"{value!r} is not a known time zone; expected e.g. 'UTC' or 'Europe/Amsterdam'",
            ) from None
        return value

    def settings(self, raw: dict[str, Any]) -> Settings:
        self.check_keys(raw, _TOP_KEYS, "")
        # The file's values are checked even when the environment overrides them.
        data_dir = self.data_dir(self.nonblank(raw, "data_dir", "a folder path"))
        timezone = self.zone(raw.get("timezone", "UTC"), "timezone")
        db_in_file = self.nonblank(raw, "database_url", "a URL such as 'sqlite:///xensocial.db'")
        if db_in_file is not None:
            self.database_url(db_in_file, data_dir)
        db_raw = self.env.get("XENSOCIAL_DATABASE_URL") or db_in_file or "sqlite:///xensocial.db"
        database_url = self.database_url(db_raw, data_dir)
        identity = (
            self.nonblank(raw, "identity", "a name for this replica")
            or self.env.get("XENSOCIAL_IDENTITY")
            or socket.gethostname()
        )
        auto_migrate = raw.get("auto_migrate", True)
        if not isinstance(auto_migrate, bool):
            raise self.fail("auto_migrate", f"expected true or false, got {auto_migrate!r}")
        imports = raw.get("import_at_start", [])
        if not (isinstance(imports, list) and all(isinstance(p, str) for p in imports)):
            raise self.fail("import_at_start", "expected a list of CSV file paths")
        log_level = str(raw.get("log_level", "info")).lower()
        if log_level not in {"debug", "info", "warning", "error"}:
            raise self.fail(
                "log_level", f"expected debug, info, warning or error, got {log_level!r}"
            )
        log_format = str(raw.get("log_format", "auto")).lower()
        if log_format not in {"auto", "json", "console"}:
            raise self.fail("log_format", f"expected auto, json or console, got {log_format!r}")
        channels_raw = raw.get("channels", [])
        if not isinstance(channels_raw, list):
            raise self.fail("channels", "expected [[channels]] tables")
        grace = self.duration(raw, "catch_up_grace", timedelta(hours=1))
        channels: list[ChannelConfig] = []
        channels_parser = ChannelParser(self)
        seen: set[str] = set()
        for index, table in enumerate(channels_raw):
            channel = channels_parser.channel(table, index, timezone, grace)
            if channel.name in seen:
                raise self.fail(
                    f"channels[{index}].name",
                    f"duplicate channel name {channel.name!r}; names must be unique",
                )
            seen.add(channel.name)
            channels.append(channel)
        return Settings(
            source=self.source,
            database_url=database_url,
            timezone=timezone,
            data_dir=data_dir,
            identity=identity,
            catch_up_grace=grace,
            auto_migrate=auto_migrate,
            import_at_start=tuple((self.config_dir / p).resolve() for p in imports),
            log_level=log_level,
            log_format=log_format,
            publishing=self.publishing(raw.get("publishing", {}), channels_parser.known_networks),
            channels=tuple(channels),
            config_dir=self.config_dir,
            intake=parse_intake(self, raw.get("intake", {}), self.config_dir),
            metrics=parse_metrics(self, raw.get("metrics", {})),
            report=parse_report(self, raw.get("report", {}), [c.name for c in channels]),
            coverage_feeds=parse_coverage_feeds(self, raw.get("coverage_feeds"), self.config_dir),
            http=parse_http(self, raw.get("http", {})),
            health=parse_health(self, raw.get("health", {})),
            editorial=parse_editorial(self, raw.get("editorial", {})),
            categories=self.categories(raw.get("categories", [])),
            demo=self.demo,
            imports=parse_imports(self, raw.get("imports", {})),
            blackouts=parse_blackouts(
                self, raw.get("blackouts"), timezone, [c.name for c in channels]
            ),
            feeds=parse_feeds(
                raw.get("feeds"),
                source=self.source,
                config_dir=self.config_dir,
                channel_names=[c.name for c in channels],
            ),
        )

    def data_dir(self, in_file: str | None) -> Path:
        return data_dir(
            in_file,
            config_dir=self.config_dir,
            demo=self.demo,
            from_env=self.env.get("XENSOCIAL_DATA_DIR"),
        )

    def categories(self, value: Any) -> tuple[str, ...]:
        """`categories`: names staff may give items besides the built-in ones, in lower case
        (as items store them)."""
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise self.fail(
                "categories", f'expected a list of names such as ["release"], got {value!r}'
            )
        cleaned = []
        for index, name in enumerate(value):
            try:
                cleaned.append(check_feed_category(name))  # blank or too long to store: refused
            except ValueError as exc:
                raise self.fail(f"categories[{index}]", str(exc)) from None
        return tuple(dict.fromkeys(cleaned))

    def database_url(self, value: Any, data_dir: Path) -> str:
        try:
            return database_url(value, data_dir)
        except ValueError as exc:
            raise self.fail("database_url", str(exc)) from None

    def publishing(self, table: Any, known_networks: Callable[[], list[str]]) -> PublishingConfig:
        if not isinstance(table, dict):
            raise self.fail("publishing", "expected a [publishing] table")
        self.check_keys(table, _PUBLISHING_KEYS, "publishing.")
        d = PublishingConfig()
        attempts = table.get("max_attempts", d.max_attempts)
        per_slot = table.get("max_items_per_slot", d.max_items_per_slot)
        for key, value in (("max_attempts", attempts), ("max_items_per_slot", per_slot)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise self.fail(
                    f"publishing.{key}", f"expected a whole number of at least 1, got {value!r}"
                )
        positive = {}
        for key, default in (("lease", d.lease), ("settle", d.settle), ("timeout", d.timeout)):
            positive[key] = self.duration(table, key, default, "publishing.")
            if positive[key] <= timedelta(0):  # every post would fail, or lose its owner at once
                raise self.fail(
                    f"publishing.{key}", "expected a duration above zero, such as '10s'"
                )
        return PublishingConfig(
            max_attempts=attempts,
            backoff=self.duration(table, "backoff", d.backoff, "publishing."),
            backoff_max=self.duration(table, "backoff_max", d.backoff_max, "publishing."),
            lease=positive["lease"],
            settle=positive["settle"],
            timeout=positive["timeout"],
            max_items_per_slot=per_slot,
            posts_at_once=self.posts_at_once(
                table.get("posts_at_once", d.posts_at_once), "publishing.posts_at_once"
            ),
            posts_at_once_per_network=self.posts_at_once_per_network(table, known_networks),
        )

    def posts_at_once(self, value: Any, key: str) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_POSTS_AT_ONCE
        ):
            raise self.fail(
                key, f"expected a whole number from 1 to {MAX_POSTS_AT_ONCE}, got {value!r}"
            )
        return value

    def posts_at_once_per_network(
        self, table: Mapping[str, Any], known_networks: Callable[[], list[str]]
    ) -> dict[str, int]:
        """`[publishing.posts_at_once_per_network]`: network name -> posts at once."""
        key = "posts_at_once_per_network"
        limits = table.get(key, {})
        if not isinstance(limits, dict):
            raise self.fail(
                f"publishing.{key}", "expected a table of network = number, such as { x = 2 }"
            )
        known = known_networks() if limits else []
        for network in limits:
            if network not in known:
                raise self.fail(
                    f"publishing.{key}.{network}",
                    f"no adapter named {network!r} is installed; expected one of "
                    f"{', '.join(known) or 'none'}",
                )
        return {n: self.posts_at_once(v, f"publishing.{key}.{n}") for n, v in limits.items()}
