"""The `[[channels]]` tables of the configuration -> validated, frozen `ChannelConfig`s.

A module of its own because a channel is most of what can be wrong in a configuration (slots,
cron, days, templates, UTM, hashtags, secret references) and reads as one idea on its own. The
generic field checks (types, durations, zones, unknown keys) are reached through the small
`FieldReader` protocol (`fields.py`), so the error messages name the file and key the same way
everywhere. Nothing here imports a network or
scheduler library: cron is checked lightly, APScheduler parses it for real at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from .. import ADAPTER_GROUP
from .editorial import parse_mix
from .fields import FieldReader

if TYPE_CHECKING:
    from content_queue.mix import Mix

__all__ = [
    "CHANNEL_KEYS",
    "DAY_NAMES",
    "SECRET_REF",
    "ChannelConfig",
    "ChannelParser",
    "secret_refs",
]

_T = TypeVar("_T")

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHANNEL_KEYS = {
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
    "mix",
    "mix_window",
}
# The form of a secret reference: checked here, resolved by `xensocial.secrets` (which imports
# it from here) when an adapter is built.
SECRET_REF = re.compile(r"^(env|file):(.+)$")
_CRON_FIELD = re.compile(r"^[0-9a-z*?/,\-#LW]+$", re.IGNORECASE)
_SLOT = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


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
    mix: Mix | None = None  # target shares by category (see editorial.py); None: no mix

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


class ChannelParser:
    """Parses one `[[channels]]` table; every error is the reader's `ConfigError` for its key."""

    def __init__(self, reader: FieldReader) -> None:
        self.r = reader
        self._known: list[str] | None = None
        # A large configuration repeats the same values channel after channel (the same slots,
        # days, template, mix): each distinct value is checked once per file. Only values that
        # passed are kept, so an error is still raised, and named, for its own channel's key.
        self._passed: dict[tuple[str, str], Any] = {}

    def _once(self, kind: str, value: Any, check: Callable[[], _T]) -> _T:
        """`check()`, or what it gave for an equal `value` already checked. A TOML value's
        repr tells its types apart too (`1`, `1.0`, `true` and `"1"` differ)."""
        memo = (kind, repr(value))
        try:
            found: _T = self._passed[memo]
        except KeyError:
            found = self._passed[memo] = check()
        return found

    def known_networks(self) -> list[str]:
        """The installed adapters' names, read once per configuration (each read scans every
        installed distribution's metadata: ~10 ms, paid by every CLI command)."""
        if self._known is None:
            # Names only: `registry.available()` also reads each adapter's distribution name,
            # which parses its METADATA file, for nothing here.
            from importlib.metadata import entry_points

            self._known = sorted({ep.name for ep in entry_points(group=ADAPTER_GROUP)})
        return self._known

    def channel(self, table: Any, index: int, default_zone: str, grace: timedelta) -> ChannelConfig:
        r, p = self.r, f"channels[{index}]."
        if not isinstance(table, dict):
            raise r.fail(f"channels[{index}]", "expected a [[channels]] table")
        r.check_keys(table, CHANNEL_KEYS, p)
        for required in ("name", "network"):
            if required not in table:
                raise r.fail(p + required, "missing; every channel needs a name and a network")
        name = r.typed(table, "name", str, "a channel name", p)
        if not _NAME.fullmatch(name):
            raise r.fail(
                p + "name", f"{name!r}: expected letters, digits, '-', '_' or '.' (at most 100)"
            )
        network = r.typed(table, "network", str, "an adapter name", p)
        known = self.known_networks()
        if network not in known:
            raise r.fail(
                p + "network",
                f"no adapter named {network!r} is installed; expected one of {', '.join(known) or 'none'}",
            )
        zone = r.zone(table.get("timezone", default_zone), p + "timezone")
        slots: tuple[time, ...] = ()
        cron = None
        if ("slots" in table) == ("cron" in table):
            raise r.fail(
                p + "slots",
                'give either slots = ["09:30", ...] or cron = "..." (6 fields), not both or neither',
            )
        if "slots" in table:
            raw_slots = table["slots"]
            slots = self._once("slots", raw_slots, lambda: self.slots(raw_slots, p + "slots"))
        else:
            raw_cron = table["cron"]
            cron = self._once("cron", raw_cron, lambda: self.cron(raw_cron, p + "cron"))
        days = None
        if "days" in table:
            raw_days = table["days"]
            days = self._once("days", raw_days, lambda: self.days(raw_days, p + "days"))
        max_per_day = table.get("max_per_day", 2)
        if isinstance(max_per_day, bool) or not isinstance(max_per_day, int) or max_per_day < 0:
            raise r.fail(
                p + "max_per_day", f"expected a whole number (0 or more), got {max_per_day!r}"
            )
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            raise r.fail(p + "enabled", f"expected true or false, got {enabled!r}")
        raw_template = table.get("template")
        template = self._once(
            "template", raw_template, lambda: self.template(raw_template, p + "template")
        )
        options = table.get("options", {})
        if not isinstance(options, dict):
            raise r.fail(p + "options", "expected a [channels.options] table")
        raw_utm, raw_mix = table.get("utm", {}), (table.get("mix"), table.get("mix_window"))
        return ChannelConfig(
            name=name,
            network=network,
            timezone=zone,
            slots=slots,
            cron=cron,
            days=days,
            max_per_day=max_per_day,
            min_gap=r.duration(table, "min_gap", timedelta(0), p),
            jitter=r.duration(table, "jitter", timedelta(0), p),
            catch_up_grace=r.duration(table, "catch_up_grace", grace, p),
            enabled=enabled,
            template=template,
            utm=dict(self._once("utm", raw_utm, lambda: self.utm(raw_utm, p + "utm"))),
            hashtags=self.hashtags(table.get("hashtags", {}), p + "hashtags"),
            options=options,
            secrets=self.secrets(table.get("secrets", {}), p + "secrets"),
            mix=self._once("mix", raw_mix, lambda: self.mix(table, p)),
        )

    def mix(self, table: Mapping[str, Any], prefix: str) -> Mix | None:
        return parse_mix(self.r, table, prefix)

    def template(self, template: Any, key: str) -> str | None:
        if template is None:
            return None
        if not isinstance(template, str):
            raise self.r.fail(key, f"expected a text template, got {template!r}")
        from ..rendering import validate_template  # 5 ms to import: only for a template

        try:
            validate_template(template)
        except ValueError as exc:
            raise self.r.fail(key, str(exc)) from None
        return template

    def utm(self, table: Any, key: str) -> dict[str, str]:
        from ..rendering import UTM_KEYS  # 5 ms to import: only when a channel has [utm]

        if not isinstance(table, dict):
            raise self.r.fail(key, 'expected a [channels.utm] table such as source = "mastodon"')
        out = {}
        for name, value in table.items():
            full = name if name.startswith("utm_") else f"utm_{name}"
            if full not in UTM_KEYS:
                raise self.r.fail(
                    f"{key}.{name}",
                    f"unknown UTM parameter; expected one of {', '.join(k[4:] for k in UTM_KEYS)}",
                )
            if not isinstance(value, str) or not value.strip():
                raise self.r.fail(f"{key}.{name}", f"expected a non-empty text, got {value!r}")
            out[full] = value.strip()
        return out

    def hashtags(self, table: Any, key: str) -> dict[str, str]:
        expected = 'expected a [channels.hashtags] table of tag = "hashtag text" ("" drops it)'
        if not isinstance(table, dict):
            raise self.r.fail(key, expected)
        for tag, text in table.items():
            if not isinstance(text, str):
                raise self.r.fail(f"{key}.{tag}", f"{expected}; got {text!r}")
        return dict(table)

    def slots(self, value: Any, key: str) -> tuple[time, ...]:
        if not isinstance(value, list) or not value:
            raise self.r.fail(key, 'expected a list of local times such as ["09:30", "15:00"]')
        out = []
        for entry in value:
            m = _SLOT.match(entry) if isinstance(entry, str) else None
            if m is None:
                raise self.r.fail(key, f'{entry!r} is not a time; expected HH:MM such as "09:30"')
            h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
            if h > 23 or mi > 59 or s > 59:
                raise self.r.fail(key, f"{entry!r} is not a time of day; expected 00:00 to 23:59")
            out.append(time(h, mi, s))
        if len(set(out)) != len(out):
            raise self.r.fail(key, "the same time is listed twice")
        return tuple(sorted(out))

    def cron(self, value: Any, key: str) -> str:
        fields = value.split() if isinstance(value, str) else []
        if len(fields) != 6 or not all(_CRON_FIELD.match(f) for f in fields):
            raise self.r.fail(
                key, f'expected 6 cron fields, seconds first (e.g. "*/30 * * * * *"), got {value!r}'
            )
        problem = _cron_range_problem(fields)
        if problem is not None:
            raise self.r.fail(key, f"{value!r}: {problem}")
        return " ".join(fields)

    def days(self, value: Any, key: str) -> frozenset[int]:
        if not isinstance(value, list) or not value:
            raise self.r.fail(key, 'expected a list of days such as ["mon", "tue"]')
        out = set()
        for entry in value:
            short = entry.strip().lower()[:3] if isinstance(entry, str) else ""
            if short not in DAY_NAMES or (
                isinstance(entry, str) and len(entry.strip()) > 3 and not _full_day(entry)
            ):
                raise self.r.fail(
                    key, f"{entry!r} is not a day; expected mon, tue, wed, thu, fri, sat or sun"
                )
            out.add(DAY_NAMES.index(short))
        return frozenset(out)

    def secrets(self, table: Any, key: str) -> dict[str, str]:
        return secret_refs(self.r, table, key, "[channels.secrets]")


def secret_refs(reader: FieldReader, table: Any, key: str, table_name: str) -> dict[str, str]:
    """A secrets table (`[channels.secrets]`, `[notify.secrets]`): name -> `env:`/`file:`
    reference, each checked for form only (resolved when needed, `xensocial.secrets`)."""
    if not isinstance(table, dict):
        raise reader.fail(key, f"expected a {table_name} table")
    out = {}
    for name, ref in table.items():
        if not isinstance(ref, str) or not SECRET_REF.match(ref):
            # Never echo the value: it may be the secret itself, written inline by mistake.
            raise reader.fail(
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
