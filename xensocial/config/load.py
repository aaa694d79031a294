"""Reading the configuration: which file, its TOML, and its top-level keys -> one `Settings`.

Which file: `--config PATH`, else `$XENSOCIAL_CONFIG`, else the embedded demo (`config/demo.toml`,
shipped inside the package; `Settings.demo` says so, and the CLI says it on stderr). An empty
`--config ""` is refused rather than taken as "the demo". Everything is checked here, once: an
unknown key, a bad time or zone, an unknown adapter, a duplicate channel name or an inline secret
raises one `ConfigError` that names the file, the key and what was expected (the CLI exits 2).

Paths (`paths.py`): state (the SQLite file, the outbox) lives in `data_dir`, resolved against
the configuration file's folder (never the working directory; `$XENSOCIAL_DATA_DIR` overrides
it); the demo keeps its state in ./xensocial-demo. Input files (`import_at_start`) are resolved
next to the configuration file.

Secrets are never inline: each value under `[channels.secrets]` is `env:NAME` or `file:PATH`,
checked here for form only and resolved when an adapter is built (`secrets.resolve_secrets`), so
reading the configuration for `queue list` needs no secret at all. Nothing here imports a
network or scheduler library.

Each table is parsed by the module named for it (`channels.py` for `[[channels]]`,
`publishing.py` for `[publishing]`...), through the generic checks of `fields.py`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

try:  # the standard library's tomllib as released on its own, but compiled: 3x faster
    import tomli as _toml  # (70 -> 22 ms for 1,000 channels, bench/config_load.py)
except ImportError:  # pragma: no cover - the same parser and messages, only slower
    import tomllib as _toml  # type: ignore[no-redef]

from ..errors import ConfigError, UsageError
from .blackouts import parse_blackouts
from .channels import ChannelConfig, ChannelParser
from .editorial import parse_editorial
from .feeds import check_feed_category, parse_feeds
from .fields import Fields
from .health import parse_health
from .http import parse_http
from .imports import parse_imports
from .intake import parse_intake
from .metrics import parse_metrics
from .notify import parse_alerts, parse_notify
from .paths import data_dir, database_url
from .publishing import parse_publishing
from .report import parse_coverage_feeds, parse_report
from .settings import Settings
from .web import parse_web

__all__ = ["DEMO_NOTICE", "TOP_KEYS", "demo_config_path", "load_settings"]

DEMO_NOTICE = "using the embedded demo configuration; pass --config or set XENSOCIAL_CONFIG"

TOP_KEYS = {
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
    "web",
    "notify",
    "alerts",
}


def demo_config_path() -> Path:
    """The embedded demo configuration: inside the installed package, or the checkout's."""
    shipped = resources.files("xensocial").joinpath("_defaults/demo.toml")
    if shipped.is_file():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "config" / "demo.toml"


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


class _Parser(Fields):
    """One file's top level: the generic checks of `Fields`, and each table handed to its
    module."""

    def __init__(
        self, source: str, config_dir: Path, env: Mapping[str, str], *, demo: bool = False
    ) -> None:
        super().__init__(source)
        self.config_dir, self.env, self.demo = config_dir, env, demo

    def settings(self, raw: dict[str, Any]) -> Settings:
        self.check_keys(raw, TOP_KEYS, "")
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
        notify = parse_notify(self, raw.get("notify"))
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
            publishing=parse_publishing(
                self, raw.get("publishing", {}), channels_parser.known_networks
            ),
            channels=tuple(channels),
            config_dir=self.config_dir,
            intake=parse_intake(self, raw.get("intake", {}), self.config_dir),
            metrics=parse_metrics(self, raw.get("metrics", {})),
            report=parse_report(self, raw.get("report", {}), [c.name for c in channels], notify),
            coverage_feeds=parse_coverage_feeds(self, raw.get("coverage_feeds"), self.config_dir),
            http=parse_http(self, raw.get("http", {})),
            health=parse_health(self, raw.get("health", {})),
            editorial=parse_editorial(self, raw.get("editorial", {})),
            categories=self.categories(raw.get("categories", [])),
            demo=self.demo,
            imports=parse_imports(self, raw.get("imports", {})),
            web=parse_web(self, raw.get("web", {})),
            notify=notify,
            alerts=parse_alerts(self, raw.get("alerts", {})),
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
