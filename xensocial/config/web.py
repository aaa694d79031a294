"""The `[web]` table of the configuration -> `WebConfig`: the web console (`xensocial web`).

    [web]
    listen = "127.0.0.1:8080"   # host:port; loopback unless you say otherwise
    idle_timeout = "30m"        # a session unused this long must sign in again
    login_attempts = 10         # failed sign-ins allowed per account, and per address, ...
    login_window = "15m"        # ... within this long; then sign-in is refused until they age out

The console shows and changes the queue, so it binds to loopback by default, like the daemon's
endpoint (`[http]`); people reach it through a reverse proxy that terminates TLS (README,
docs/web.md). A module of its own so the console's knobs read as one idea.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .fields import FieldReader
from .http import parse_listen

__all__ = ["DEFAULT_WEB_LISTEN", "WEB_KEYS", "WebConfig", "parse_web"]

WEB_KEYS = {"listen", "idle_timeout", "login_attempts", "login_window"}
DEFAULT_WEB_LISTEN = "127.0.0.1:8080"


@dataclass(frozen=True)
class WebConfig:
    """Validated `[web]` settings."""

    host: str = "127.0.0.1"
    port: int = 8080
    idle_timeout: timedelta = timedelta(minutes=30)
    login_attempts: int = 10
    login_window: timedelta = timedelta(minutes=15)


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
    attempts = defaults.login_attempts
    if "login_attempts" in table:
        attempts = reader.typed(table, "login_attempts", int, "a whole number, 1 or more", "web.")
        if isinstance(attempts, bool) or attempts < 1:
            raise reader.fail(
                "web.login_attempts", f"expected a whole number, 1 or more, got {attempts!r}"
            )
    idle = reader.duration(table, "idle_timeout", defaults.idle_timeout, "web.")
    window = reader.duration(table, "login_window", defaults.login_window, "web.")
    for key, value in (("idle_timeout", idle), ("login_window", window)):
        if value < timedelta(minutes=1):
            raise reader.fail(f"web.{key}", "expected a duration of a minute or more")
    return WebConfig(
        host=address[0],
        port=address[1],
        idle_timeout=idle,
        login_attempts=attempts,
        login_window=window,
    )
