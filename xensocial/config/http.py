"""The `[http]` table of the configuration -> `HttpConfig`: where the daemon's endpoint listens.

    [http]
    listen = "127.0.0.1:9464"   # host:port; "" (or enabled = false) turns the endpoint off
    enabled = true

The endpoint (`/metrics`, `/healthz`, the Atom feeds; see `xensocial.reporting.http`) tells
anyone who can reach it what the queue holds, so it binds to loopback unless the file says
otherwise; another address is accepted (a Prometheus on another host needs it) and the daemon
logs a warning when it binds there. The host must be written out (`0.0.0.0:9464`, not `:9464`),
so listening on every interface is always a visible choice. A module of its own so the endpoint's
knobs read as one idea.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .fields import FieldReader

__all__ = ["DEFAULT_LISTEN", "HTTP_KEYS", "HttpConfig", "parse_http", "parse_listen"]

HTTP_KEYS = {"listen", "enabled"}
DEFAULT_LISTEN = "127.0.0.1:9464"  # 9464: the port commonly used by Prometheus exporters of apps
_EXPECTED = "expected 'host:port' such as '127.0.0.1:9464' or '[::1]:9464', or '' for no endpoint"


@dataclass(frozen=True)
class HttpConfig:
    """Validated `[http]` settings; `host` None means no endpoint at all."""

    host: str | None = "127.0.0.1"
    port: int = 9464

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def is_loopback(self) -> bool:
        """Whether only this machine can reach the endpoint."""
        if self.host is None or self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name other than localhost: it may resolve anywhere
            return False

    def describe(self) -> str:
        """The address as written in the configuration (`[::1]:9464` for IPv6)."""
        if self.host is None:
            return "off"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_listen(value: str) -> tuple[str, int] | None:
    """`host:port` -> (host, port); "" -> None. Raises ValueError saying what is expected."""
    text = value.strip()
    if not text:
        return None
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{value!r}: {_EXPECTED}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        _check_ip(host, value)
    elif ":" in host:  # a bare IPv6 address: the port would be ambiguous
        raise ValueError(f"{value!r}: write an IPv6 address in brackets, e.g. '[::1]:9464'")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{value!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


def _check_ip(host: str, value: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise ValueError(f"{value!r}: {host!r} is not an IPv6 address") from None


def parse_http(reader: FieldReader, table: Any) -> HttpConfig:
    """Check the `[http]` table (absent: `{}`, the loopback default); errors name the key."""
    if not isinstance(table, Mapping):
        raise reader.fail("http", "expected an [http] table")
    reader.check_keys(table, HTTP_KEYS, "http.")
    enabled = True
    if "enabled" in table:
        enabled = reader.typed(table, "enabled", bool, "true or false", "http.")
    listen = DEFAULT_LISTEN
    if "listen" in table:
        listen = reader.typed(table, "listen", str, _EXPECTED.removeprefix("expected "), "http.")
    try:
        address = parse_listen(listen)
    except ValueError as exc:
        raise reader.fail("http.listen", str(exc)) from None
    if address is None or not enabled:
        return HttpConfig(host=None)
    return HttpConfig(host=address[0], port=address[1])
