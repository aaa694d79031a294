"""The `[[notify]]` tables (where alerts go) and the `[alerts]` table (when something is an
alert) -> `NotifyTarget`s and `AlertsConfig`.

    [alerts]
    check_every = "1m"            # how often the daemon looks for events and sends what is due
    queue_dry_days = 3            # "running dry": a slot in the next N days finds nothing
    feed_failing_after = "24h"    # a feed failing this long is an event
    database_unreachable_after = "5m"   # the database out of reach this long is an event

    [[notify]]
    name = "comms-mail"
    kind = "email"                # email, webhook, matrix, slack, discord
    events = ["channel_paused", "queue_dry"]   # default: every event
    min_severity = "warning"      # info, warning, critical (default info: everything)
    repeat = "1d"                 # while an event lasts, said again at most this often
    host = "smtp.example.org"     # email: SMTP server, port, security, sender, recipients
    port = 587
    security = "starttls"         # starttls (default), tls, none
    username = "xensocial"
    from = "xensocial@example.org"
    to = ["comms@example.org"]
    [notify.secrets]
    password = "env:XENSOCIAL_SMTP_PASSWORD"

Each kind's keys are listed in `KIND_KEYS`, its secrets in `KIND_SECRETS`. Secrets are never
inline (the same `env:`/`file:` references as a channel's, resolved when a message is sent,
`secrets.resolve_refs`): an SMTP password, a webhook's HMAC key (`secret`), a Matrix access
token (`access_token`), and a Slack or Discord webhook URL (`url`: the URL is the credential).
A module of its own so alerting's knobs read as one idea.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from .channels import secret_refs
from .fields import FieldReader

__all__ = [
    "ALERTS_KEYS",
    "EVENT_KINDS",
    "KIND_KEYS",
    "NOTIFY_KEYS",
    "SEVERITIES",
    "AlertsConfig",
    "NotifyTarget",
    "parse_alerts",
    "parse_notify",
]

SEVERITIES = ("info", "warning", "critical")
EVENT_KINDS = (
    "channel_paused",
    "channel_warning",
    "delivery_unknown",
    "delivery_failed",
    "queue_dry",
    "feed_failing",
    "feed_gone",
    "metrics_budget",
    "database_unreachable",
)
ALERTS_KEYS = {"check_every", "queue_dry_days", "feed_failing_after", "database_unreachable_after"}
NOTIFY_KEYS = {"name", "kind", "events", "min_severity", "repeat", "timeout", "secrets"}
KIND_KEYS: dict[str, set[str]] = {
    "email": {"host", "port", "security", "username", "from", "to"},
    "webhook": {"url"},
    "matrix": {"homeserver", "room"},
    "slack": set(),
    "discord": set(),
}
# The secrets each kind accepts, and those it requires.
KIND_SECRETS: dict[str, tuple[set[str], set[str]]] = {
    "email": ({"password"}, set()),
    "webhook": ({"secret"}, set()),
    "matrix": ({"access_token"}, {"access_token"}),
    "slack": ({"url"}, {"url"}),
    "discord": ({"url"}, {"url"}),
}
_SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class AlertsConfig:
    """Validated `[alerts]` settings: when a state of the service is an event."""

    check_every: timedelta = timedelta(minutes=1)
    queue_dry_days: int = 3
    feed_failing_after: timedelta = timedelta(hours=24)
    database_unreachable_after: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class NotifyTarget:
    """One `[[notify]]` table: where notifications go, and which of them."""

    name: str
    kind: str
    events: frozenset[str] = frozenset(EVENT_KINDS)
    min_severity: str = "info"
    repeat: timedelta = timedelta(days=1)
    timeout: timedelta = timedelta(seconds=10)
    options: Mapping[str, Any] = field(default_factory=dict)  # the kind's own keys (KIND_KEYS)
    secrets: Mapping[str, str] = field(default_factory=dict)  # name -> "env:X" / "file:Y"

    def wants(self, kind: str, severity: str) -> bool:
        """Whether this target subscribes to an event of `kind` at `severity`."""
        return kind in self.events and SEVERITIES.index(severity) >= SEVERITIES.index(
            self.min_severity
        )


def parse_alerts(reader: FieldReader, table: Any) -> AlertsConfig:
    """Check the `[alerts]` table (absent: `{}`, the defaults); errors name the key."""
    if not isinstance(table, Mapping):
        raise reader.fail("alerts", "expected an [alerts] table")
    reader.check_keys(table, ALERTS_KEYS, "alerts.")
    defaults = AlertsConfig()
    days = defaults.queue_dry_days
    if "queue_dry_days" in table:
        days = reader.typed(table, "queue_dry_days", int, "a whole number of days", "alerts.")
        if not 1 <= days <= 60:
            raise reader.fail("alerts.queue_dry_days", f"expected 1 to 60 days, got {days!r}")
    every = reader.duration(table, "check_every", defaults.check_every, "alerts.")
    if every < timedelta(seconds=1):
        raise reader.fail("alerts.check_every", "expected a duration of 1 second or more")
    failing = reader.duration(table, "feed_failing_after", defaults.feed_failing_after, "alerts.")
    unreachable = reader.duration(
        table, "database_unreachable_after", defaults.database_unreachable_after, "alerts."
    )
    return AlertsConfig(
        check_every=every,
        queue_dry_days=days,
        feed_failing_after=failing,
        database_unreachable_after=unreachable,
    )


def parse_notify(reader: FieldReader, tables: Any) -> tuple[NotifyTarget, ...]:
    """Check the `[[notify]]` tables (absent: None, no target); errors name the key."""
    if tables is None:
        return ()
    if not isinstance(tables, list):
        raise reader.fail("notify", "expected [[notify]] tables")
    out: list[NotifyTarget] = []
    for index, table in enumerate(tables):
        target = _target(reader, table, f"notify[{index}].")
        if any(t.name == target.name for t in out):
            raise reader.fail(
                f"notify[{index}].name", f"duplicate target name {target.name!r}; names are unique"
            )
        out.append(target)
    return tuple(out)


def _target(reader: FieldReader, table: Any, p: str) -> NotifyTarget:
    if not isinstance(table, Mapping):
        raise reader.fail(p.rstrip("."), "expected a [[notify]] table")
    kind = _text(reader, table, "kind", p, "one of " + ", ".join(KIND_KEYS))
    if kind not in KIND_KEYS:
        raise reader.fail(p + "kind", f"expected one of {', '.join(KIND_KEYS)}, got {kind!r}")
    reader.check_keys(table, NOTIFY_KEYS | KIND_KEYS[kind], p)
    name = _text(reader, table, "name", p, "a name for this target, such as 'comms-mail'")
    if len(name) > 100:  # as the record stores it (`notices.target`)
        raise reader.fail(p + "name", "expected a name of at most 100 characters")
    events = frozenset(EVENT_KINDS)
    if "events" in table:
        raw = table["events"]
        if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
            raise reader.fail(
                p + "events", f"expected a list of events from {', '.join(EVENT_KINDS)}"
            )
        for event in raw:
            if event not in EVENT_KINDS:
                raise reader.fail(
                    p + "events", f"unknown event {event!r}; expected {', '.join(EVENT_KINDS)}"
                )
        events = frozenset(raw)
    severity = "info"
    if "min_severity" in table:
        severity = reader.typed(table, "min_severity", str, "info, warning or critical", p)
        if severity not in SEVERITIES:
            raise reader.fail(
                p + "min_severity", f"expected info, warning or critical, got {severity!r}"
            )
    repeat = reader.duration(table, "repeat", timedelta(days=1), p)
    if repeat < timedelta(minutes=1):
        raise reader.fail(p + "repeat", "expected a duration of 1 minute or more")
    timeout = reader.duration(table, "timeout", timedelta(seconds=10), p)
    if not timedelta(seconds=1) <= timeout <= timedelta(minutes=1):
        raise reader.fail(p + "timeout", "expected a duration from 1s to 1m")
    options = _options(reader, table, kind, p)
    return NotifyTarget(
        name=name,
        kind=kind,
        events=events,
        min_severity=severity,
        repeat=repeat,
        timeout=timeout,
        options=options,
        secrets=_secrets(
            reader, table.get("secrets", {}), kind, p + "secrets", options.get("username")
        ),
    )


def _text(reader: FieldReader, table: Mapping[str, Any], key: str, p: str, expected: str) -> str:
    if key not in table:
        raise reader.fail(p + key, f"missing; expected {expected}")
    value = table[key]
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise reader.fail(p + key, f"expected {expected}, got {value!r}")
    return value.strip()


def _url(reader: FieldReader, table: Mapping[str, Any], key: str, p: str) -> str:
    value = _text(reader, table, key, p, "an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise reader.fail(p + key, f"expected an http(s) URL, got {value!r}")
    return value


def _options(reader: FieldReader, table: Mapping[str, Any], kind: str, p: str) -> dict[str, Any]:
    if kind == "webhook":
        return {"url": _url(reader, table, "url", p)}
    if kind == "matrix":
        room = _text(reader, table, "room", p, "a room id such as '!abc:example.org'")
        if not room.startswith("!") or ":" not in room:
            raise reader.fail(
                p + "room", f"expected a room id such as '!abc:example.org', got {room!r}"
            )
        return {"homeserver": _url(reader, table, "homeserver", p).rstrip("/"), "room": room}
    if kind != "email":
        return {}
    security = "starttls"
    if "security" in table:
        security = reader.typed(table, "security", str, "starttls, tls or none", p)
        if security not in _SECURITY_PORTS:
            raise reader.fail(p + "security", f"expected starttls, tls or none, got {security!r}")
    port = _SECURITY_PORTS[security]
    if "port" in table:
        port = reader.typed(table, "port", int, "a port number from 1 to 65535", p)
        if not 1 <= port <= 65535:
            raise reader.fail(p + "port", f"expected a port number from 1 to 65535, got {port!r}")
    to = table.get("to")
    if not isinstance(to, list) or not to or not all(_is_address(a) for a in to):
        raise reader.fail(p + "to", "expected a list of addresses such as ['comms@example.org']")
    sender = _text(reader, table, "from", p, "an address such as 'xensocial@example.org'")
    if not _is_address(sender):
        raise reader.fail(
            p + "from", f"expected an address such as 'xensocial@example.org', got {sender!r}"
        )
    username = None
    if "username" in table:
        username = _text(reader, table, "username", p, "the SMTP user name")
    return {
        "host": _text(reader, table, "host", p, "the SMTP server's host name"),
        "port": port,
        "security": security,
        "username": username,
        "from": sender,
        "to": tuple(to),
    }


def _is_address(value: Any) -> bool:
    # What SMTP needs to route it; the server judges the rest. No line breaks (header injection).
    return (
        isinstance(value, str)
        and value.isprintable()
        and " " not in value
        and value.count("@") == 1
        and all(value.split("@"))
    )


def _secrets(
    reader: FieldReader, table: Any, kind: str, key: str, username: str | None
) -> dict[str, str]:
    out = secret_refs(reader, table, key, "[notify.secrets]")
    allowed, required = KIND_SECRETS[kind]
    reader.check_keys(out, allowed, key + ".")
    if kind == "email" and "password" in out and not username:
        raise reader.fail(f"{key}.password", "a password needs a username (email: username = ...)")
    missing = sorted(required - set(out))
    if missing:
        name = missing[0]
        raise reader.fail(f"{key}.{name}", f"missing; a {kind} target needs its {name} as a secret")
    return out
