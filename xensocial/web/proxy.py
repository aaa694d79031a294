"""What a reverse proxy on a trusted address says about the request: the person's address
(`X-Forwarded-For`), whether they came over HTTPS (`X-Forwarded-Proto`), and, when the proxy
signs people in (`[web] sso_header`), who they are.

The console believes these headers only from `[web] trusted_proxies` (loopback by default),
checked against the connection's own address: anyone else could write them. uvicorn's own
proxy handling is off (`xensocial web`), so this is the one place that decides; the session
layer (`auth`) reads `PROXIED` from the scope before taking a signed-in name from the proxy.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["PROXIED", "TrustedProxy"]

PROXIED = "xensocial.proxied"  # in the scope: the request came through a trusted proxy


class TrustedProxy:
    """ASGI middleware: from a trusted proxy, the client address and scheme it forwarded."""

    def __init__(self, app: ASGIApp, trusted: Collection[str]) -> None:
        self.app = app
        self.trusted = frozenset(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and client[0] in self.trusted:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            changed: dict[str, Any] = {**scope, PROXIED: True}
            forwarded = headers.get("x-forwarded-for", "").split(",")[-1].strip()
            if forwarded:
                changed["client"] = (forwarded[:100], 0)
            proto = headers.get("x-forwarded-proto", "").strip().lower()
            if proto in ("http", "https"):
                changed["scheme"] = proto
            scope = changed
        await self.app(scope, receive, send)
