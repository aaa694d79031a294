"""The `[web]` table of the configuration -> `WebConfig`: the web console (`xensocial web`).

    [web]
    listen = "127.0.0.1:8080"   # host:port; loopback unless you say otherwise
    idle_timeout = "30m"        # a session unused this long must sign in again
    login_attempts = 10         # failed sign-ins allowed per account, and per address, ...
    login_window = "15m"        # ... within this long; then sign-in is refused until they age out
    trusted_proxies = ["127.0.0.1", "::1"]  # X-Forwarded-For/-Proto believed only from these
    sso_header = ""             # e.g. "X-Forwarded-User": the proxy signs people in (off: "")

The console shows and changes the queue, so it binds to loopback by default, like the daemon's
endpoint (`[http]`); people reach it through a reverse proxy that terminates TLS (README,
docs/web.md). A proxy that signs people in itself (single sign-on) may name the person in
`sso_header`; the console believes it only from `trusted_proxies`, and only for a name that has
an account (its role is the console's). A module of its own so the console's knobs read as one
idea.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .fields import FieldReader
from .http import parse_listen

__all__ = ["DEFAULT_WEB_LISTEN", "WEB_KEYS", "WebConfig", "parse_web"]

WEB_KEYS = {
    "listen",
    "idle_timeout",
    "login_attempts",
    "login_window",
    "trusted_proxies",
    "sso_header",
}
_HEADER = re.compile(r"[A-Za-z0-9-]{1,100}")
DEFAULT_WEB_LISTEN = "127.0.0.1:8080"


@dataclass(frozen=True)
class WebConfig:
    """Validated `[web]` settings."""

    host: str = "127.0.0.1"
    port: int = 8080
    idle_timeout: timedelta = timedelta(minutes=30)
    login_attempts: int = 10
    login_window: timedelta = timedelta(minutes=15)
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    sso_header: str = ""


def parse_web(reader: FieldReader, table: Any) -> WebConfig:
    """Check the `[web]` table (absent: `{}`, the defaults); errors name the key."""
    if not isinstance(table, Mapping):
        raise reader.fail("web", "expected a [web] table")
    reader.check_keys(table, WEB_KEYS, "web.")
    defaults = WebConfig()
    listen = DEFAULT_WEB_LISTEN
    if "listen" in table:
        listen = reader.typed(table, "listen", str, "'host:port' such as '127.0.0.1:8080'", "web.")
    try:
        address = parse_listen(listen)
    except ValueError as exc:
        raise reader.fail("web.listen", str(exc)) from None
    if address is None:
        raise reader.fail("web.listen", "expected 'host:port' such as '127.0.0.1:8080'")
    attempts = reader.whole(table, "login_attempts", defaults.login_attempts, 1, "web.")
    idle = reader.duration(table, "idle_timeout", defaults.idle_timeout, "web.")
    window = reader.duration(table, "login_window", defaults.login_window, "web.")
    for key, value in (("idle_timeout", idle), ("login_window", window)):
        if value < timedelta(minutes=1):
            raise reader.fail(f"web.{key}", "expected a duration of a minute or more")
    proxies = WebConfig.trusted_proxies
    if "trusted_proxies" in table:
        given = table["trusted_proxies"]
        if not (isinstance(given, list) and all(isinstance(p, str) for p in given)):
            raise reader.fail(
                "web.trusted_proxies", 'expected a list of addresses, e.g. ["127.0.0.1"]'
            )
        for index, value in enumerate(given):
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise reader.fail(
                    f"web.trusted_proxies[{index}]", f"{value!r} is not an IP address"
                ) from None
        proxies = tuple(given)
    sso = ""
    if "sso_header" in table:
        sso = reader.typed(
            table, "sso_header", str, "a header name such as 'X-Forwarded-User'", "web."
        )
        if sso and not _HEADER.fullmatch(sso):
            raise reader.fail("web.sso_header", f"{sso!r} is not a header name")
        if sso and not proxies:
            raise reader.fail(
                "web.sso_header", "needs [web] trusted_proxies: the proxy's addresses"
            )
    return WebConfig(
        host=address[0],
        port=address[1],
        idle_timeout=idle,
        login_attempts=attempts,
        login_window=window,
        trusted_proxies=proxies,
        sso_header=sso,
    )
