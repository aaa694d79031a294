"""The configuration: one TOML file -> one validated, frozen `Settings`.

Which file: `--config PATH`, else `$XENSOCIAL_CONFIG`, else the embedded demo (`config/demo.toml`,
shipped inside the package). Everything is checked here, once: an unknown key, a bad time or
zone, an unknown adapter, a duplicate channel name or an inline secret raises one `ConfigError`
that names the file, the key and what was expected (the CLI exits 2 on it).

Paths: state (the SQLite file, the outbox) lives in `data_dir` (`$XENSOCIAL_DATA_DIR`, else the
`data_dir` key, else ./xensocial-data): relative state paths are resolved there. Input files
(`import_at_start`) are resolved next to the configuration file.

Secrets are never inline: each value under `[channels.secrets]` is `env:NAME` or `file:PATH`,
checked here for form only and resolved when an adapter is built (`secrets.resolve_secrets`), so
reading the configuration for `queue list` needs no secret at all. Nothing here imports a network or scheduler library.
"""

from __future__ import annotations

import difflib
import os
import re
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url

from .durations import parse_duration
from .errors import ConfigError, UsageError
from .secrets import SECRET_REF as _SECRET_REF

__all__ = [
    "ChannelConfig",
    "PublishingConfig",
    "Settings",
    "demo_config_path",
    "load_settings",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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
}
_PUBLISHING_KEYS = {
    "max_attempts",
    "backoff",
    "backoff_max",
    "lease",
    "timeout",
    "max_items_per_slot",
}
_CHANNEL_KEYS = {
    "name",
    "network",
    "slots",
    "cron",
    "days",
    "max_per_day",
    "min_gap",
    "timezone",
    "jitter",
    "catch_up_grace",
    "enabled",
    "options",
    "secrets",
    "template",
    "utm",
    "hashtags",
}
_CRON_FIELD = re.compile(r"^[0-9a-z*?/,\-#LW]+$", re.IGNORECASE)
_SLOT = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class PublishingConfig:
    max_attempts: int = 3  # tries of one delivery within one slot
    backoff: timedelta = timedelta(seconds=2)  # first wait between tries; doubles each time
    backoff_max: timedelta = timedelta(seconds=30)
    lease: timedelta = timedelta(minutes=5)  # how long a publishing delivery is ours alone
    timeout: timedelta = timedelta(seconds=10)  # network connect/read timeout per request
    max_items_per_slot: int = 5  # items a slot may try when the network rejects them


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    network: str
    timezone: str
    slots: tuple[time, ...] = ()
    cron: str | None = None
    days: frozenset[int] | None = None  # 0 = Monday; None = every day
    max_per_day: int = 2
    min_gap: timedelta = timedelta(0)
    jitter: timedelta = timedelta(0)
    catch_up_grace: timedelta = timedelta(hours=1)
    enabled: bool = True
    template: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)  # name -> "env:X" / "file:Y"
    utm: Mapping[str, str] = field(default_factory=dict)  # "utm_source" -> "x"; empty: no UTM
    hashtags: Mapping[str, str] = field(default_factory=dict)  # item tag -> hashtag text

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe_schedule(self) -> str:
        if self.cron:
            when = f"cron {self.cron}"
        else:
            when = ", ".join(t.strftime("%H:%M") for t in self.slots)
        days = (
            "every day" if self.days is None else ", ".join(DAY_NAMES[d] for d in sorted(self.days))
        )
        return f"{when} ({self.timezone}; {days}; max {self.max_per_day}/day)"


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

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    def channel(self, name: str) -> ChannelConfig:
        for c in self.channels:
            if c.name == name:
                return c
        raise UsageError(
            f"no channel named {name!r} in {self.source} "
            f"(channels: {', '.join(self.channel_names) or 'none'})"
        )

    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"


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
    chosen = (
        Path(path)
        if path
        else Path(env["XENSOCIAL_CONFIG"])
        if env.get("XENSOCIAL_CONFIG")
        else None
    )
    file = chosen if chosen is not None else demo_config_path()
    source = str(file)
    try:
        with file.open("rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(source, "", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(source, "", "is a directory, expected a TOML file") from None
    except PermissionError:
        raise ConfigError(source, "", "cannot be read (permission denied)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "", f"not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:  # tomllib decodes before parsing, and lets this through
        raise ConfigError(source, "", f"not valid TOML (not UTF-8 text: {exc.reason})") from None
    return _Parser(source, file.resolve().parent, env).settings(raw)


class _Parser:
    def __init__(self, source: str, config_dir: Path, env: Mapping[str, str]) -> None:
        self.source, self.config_dir, self.env = source, config_dir, env

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

    def duration(
        self, table: Mapping[str, Any], key: str, default: timedelta, prefix: str = ""
    ) -> timedelta:
        if key not in table:
            return default
        value = self.typed(table, key, str, "a duration such as '90s', '5m' or '1h'", prefix)
        try:
            parsed: timedelta = parse_duration(value)
            return parsed
        except ValueError as exc:
            raise self.fail(prefix + key, str(exc)) from None

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
        data_dir_raw = self.env.get("XENSOCIAL_DATA_DIR") or raw.get("data_dir") or "xensocial-data"
        if not isinstance(data_dir_raw, str):
            raise self.fail("data_dir", f"expected a folder path, got {data_dir_raw!r}")
        data_dir = Path(data_dir_raw).expanduser().absolute()
        timezone = self.zone(raw.get("timezone", "UTC"), "timezone")
        db_raw = (
            self.env.get("XENSOCIAL_DATABASE_URL")
            or raw.get("database_url")
            or "sqlite:///xensocial.db"
        )
        database_url = self.database_url(db_raw, data_dir)
        identity = raw.get("identity") or self.env.get("XENSOCIAL_IDENTITY") or socket.gethostname()
        if not isinstance(identity, str):
            raise self.fail("identity", f"expected a name for this replica, got {identity!r}")
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
        seen: set[str] = set()
        for index, table in enumerate(channels_raw):
            channel = self.channel(table, index, timezone, grace)
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
            publishing=self.publishing(raw.get("publishing", {})),
            channels=tuple(channels),
            config_dir=self.config_dir,
        )

    def database_url(self, value: Any, data_dir: Path) -> str:
        if not isinstance(value, str):
            raise self.fail(
                "database_url", f"expected a URL such as 'sqlite:///xensocial.db', got {value!r}"
            )
        try:
            url = make_url(value)
        except Exception:
            raise self.fail(
                "database_url",
                f"{value!r} is not a database URL; expected e.g. 'sqlite:///xensocial.db' or 'postgresql+psycopg://host/db'",
            ) from None
        backend = url.get_backend_name()
        if backend not in {"sqlite", "postgresql"}:
            raise self.fail(
                "database_url", f"{backend!r} is not supported; expected sqlite or postgresql"
            )
        if backend == "sqlite" and url.database and url.database != ":memory:":
            db_path = Path(url.database).expanduser()
            if not db_path.is_absolute():
                url = url.set(database=str(data_dir / db_path))
        return url.render_as_string(hide_password=False)

    def publishing(self, table: Any) -> PublishingConfig:
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
        return PublishingConfig(
            max_attempts=attempts,
            backoff=self.duration(table, "backoff", d.backoff, "publishing."),
            backoff_max=self.duration(table, "backoff_max", d.backoff_max, "publishing."),
            lease=self.duration(table, "lease", d.lease, "publishing."),
            timeout=self.duration(table, "timeout", d.timeout, "publishing."),
            max_items_per_slot=per_slot,
        )

    def channel(self, table: Any, index: int, default_zone: str, grace: timedelta) -> ChannelConfig:
        p = f"channels[{index}]."
        if not isinstance(table, dict):
            raise self.fail(f"channels[{index}]", "expected a [[channels]] table")
        self.check_keys(table, _CHANNEL_KEYS, p)
        for required in ("name", "network"):
            if required not in table:
                raise self.fail(p + required, "missing; every channel needs a name and a network")
        name = self.typed(table, "name", str, "a channel name", p)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}", name):
            raise self.fail(
                p + "name", f"{name!r}: expected letters, digits, '-', '_' or '.' (at most 100)"
            )
        network = self.typed(table, "network", str, "an adapter name", p)
        from .adapters.registry import available  # reads package metadata only

        known = available()
        if network not in known:
            raise self.fail(
                p + "network",
                f"no adapter named {network!r} is installed; expected one of {', '.join(known) or 'none'}",
            )
        zone = self.zone(table.get("timezone", default_zone), p + "timezone")
        slots: tuple[time, ...] = ()
        cron = None
        if ("slots" in table) == ("cron" in table):
            raise self.fail(
                p + "slots",
                'give either slots = ["09:30", ...] or cron = "..." (6 fields), not both or neither',
            )
        if "slots" in table:
            slots = self.slots(table["slots"], p + "slots")
        else:
            cron = self.cron(table["cron"], p + "cron")
        days = self.days(table["days"], p + "days") if "days" in table else None
        max_per_day = table.get("max_per_day", 2)
        if isinstance(max_per_day, bool) or not isinstance(max_per_day, int) or max_per_day < 0:
            raise self.fail(
                p + "max_per_day", f"expected a whole number (0 or more), got {max_per_day!r}"
            )
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail(p + "enabled", f"expected true or false, got {enabled!r}")
        template = table.get("template")
        if template is not None and not isinstance(template, str):
            raise self.fail(p + "template", f"expected a text template, got {template!r}")
        if template is not None:
            from .rendering import validate_template

            try:
                validate_template(template)
            except ValueError as exc:
                raise self.fail(p + "template", str(exc)) from None
        options = table.get("options", {})
        if not isinstance(options, dict):
            raise self.fail(p + "options", "expected a [channels.options] table")
        return ChannelConfig(
            name=name,
            network=network,
            timezone=zone,
            slots=slots,
            cron=cron,
            days=days,
            max_per_day=max_per_day,
            min_gap=self.duration(table, "min_gap", timedelta(0), p),
            jitter=self.duration(table, "jitter", timedelta(0), p),
            catch_up_grace=self.duration(table, "catch_up_grace", grace, p),
            enabled=enabled,
            template=template,
            utm=self.utm(table.get("utm", {}), p + "utm"),
            hashtags=self.hashtags(table.get("hashtags", {}), p + "hashtags"),
            options=options,
            secrets=self.secrets(table.get("secrets", {}), p + "secrets"),
        )

    def utm(self, table: Any, key: str) -> dict[str, str]:
        from .rendering import UTM_KEYS

        if not isinstance(table, dict):
            raise self.fail(key, 'expected a [channels.utm] table such as source = "mastodon"')
        out = {}
        for name, value in table.items():
            full = name if name.startswith("utm_") else f"utm_{name}"
            if full not in UTM_KEYS:
                raise self.fail(
                    f"{key}.{name}",
                    f"unknown UTM parameter; expected one of {', '.join(k[4:] for k in UTM_KEYS)}",
                )
            if not isinstance(value, str) or not value.strip():
                raise self.fail(f"{key}.{name}", f"expected a non-empty text, got {value!r}")
            out[full] = value.strip()
        return out

    def hashtags(self, table: Any, key: str) -> dict[str, str]:
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise self.fail(
                key, 'expected a [channels.hashtags] table of tag = "hashtag text" ("" drops it)'
            )
        return dict(table)

    def slots(self, value: Any, key: str) -> tuple[time, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, 'expected a list of local times such as ["09:30", "15:00"]')
        out = []
        for entry in value:
            m = _SLOT.match(entry) if isinstance(entry, str) else None
            if m is None:
                raise self.fail(key, f'{entry!r} is not a time; expected HH:MM such as "09:30"')
            h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
            if h > 23 or mi > 59 or s > 59:
                raise self.fail(key, f"{entry!r} is not a time of day; expected 00:00 to 23:59")
            out.append(time(h, mi, s))
        if len(set(out)) != len(out):
            raise self.fail(key, "the same time is listed twice")
        return tuple(sorted(out))

    def cron(self, value: Any, key: str) -> str:
        fields = value.split() if isinstance(value, str) else []
        if len(fields) != 6 or not all(_CRON_FIELD.match(f) for f in fields):
            raise self.fail(
                key, f'expected 6 cron fields, seconds first (e.g. "*/30 * * * * *"), got {value!r}'
            )
        problem = _cron_range_problem(fields)
        if problem is not None:
            raise self.fail(key, f"{value!r}: {problem}")
        return " ".join(fields)

    def days(self, value: Any, key: str) -> frozenset[int]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, 'expected a list of days such as ["mon", "tue"]')
        out = set()
        for entry in value:
            short = entry.strip().lower()[:3] if isinstance(entry, str) else ""
            if short not in DAY_NAMES or (
                isinstance(entry, str) and len(entry.strip()) > 3 and not _full_day(entry)
            ):
                raise self.fail(
                    key, f"{entry!r} is not a day; expected mon, tue, wed, thu, fri, sat or sun"
                )
            out.add(DAY_NAMES.index(short))
        return frozenset(out)

    def secrets(self, table: Any, key: str) -> dict[str, str]:
        if not isinstance(table, dict):
            raise self.fail(key, "expected a [channels.secrets] table")
        out = {}
        for name, ref in table.items():
            if not isinstance(ref, str) or not _SECRET_REF.match(ref):
                # Never echo the value: it may be the secret itself, written inline by mistake.
                raise self.fail(
                    f"{key}.{name}",
                    "secrets are never written inline; expected 'env:NAME' or 'file:/path/to/secret'",
                )
            out[name] = ref
        return out


_CRON_RANGES = (
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day", 1, 31),
    ("month", 1, 12),
    ("day_of_week", 0, 6),
)


def _cron_range_problem(fields: list[str]) -> str | None:
    """The first out-of-range number in a 6-field cron, or None.

    A light check of what APScheduler's CronTrigger would refuse at start-up, so the error names
    the file and key; the real parser is not imported here (it would load the scheduler for
    commands like `queue list`)."""
    for text, (name, low, high) in zip(fields, _CRON_RANGES, strict=True):
        for part in text.split(","):
            base, _, step = part.partition("/")
            if step and (not step.isdigit() or int(step) < 1):
                return f"{name} step {step!r} must be a whole number of at least 1"
            for number in re.findall(r"\d+", base):
                if not low <= int(number) <= high:
                    return f"{name} {number} is out of range; expected {low} to {high}"
    return None


def _full_day(text: str) -> bool:
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return text.strip().lower() in full
