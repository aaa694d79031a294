"""The HTTP targets: a generic JSON webhook, a Matrix room, Slack and Discord incoming webhooks.

- `webhook`: POST of the notification as JSON (`payload`). With a `secret`, the header
  `X-Xensocial-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body bytes under it, so
  the receiver can check the message came from us; `X-Xensocial-Id` is the notification's
  identity, the same on every attempt, for the receiver to drop a repeat.
- `matrix`: `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}`, with the
  notification's identity as the transaction id: the homeserver answers a repeated PUT with the
  first event, so a retry after a lost answer cannot post twice.
- `slack`: `{"text": ...}`, with `&`, `<` and `>` escaped (Slack reads them as markup and links).
- `discord`: `{"content": ...}`, cut to Discord's 2,000 characters, with mentions turned off
  (`allowed_mentions`) and markdown characters escaped, so hostile text cannot ping `@everyone`.

Redirects are not followed (a webhook URL that moved is a configuration to fix). A 5xx, 429 or
transport error is worth retrying; any other 4xx is not (`NotifyFailed.retry`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .email import NotifyFailed

if TYPE_CHECKING:
    from ..config.notify import NotifyTarget

__all__ = ["DISCORD_MAX", "discord_body", "signature", "slack_body", "send_http"]

DISCORD_MAX = 2000
SIGNATURE_HEADER = "X-Xensocial-Signature"
_DISCORD_MARKUP = re.compile(r"([\\*_~`|>#\[\]()@-])")


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for `body`: what a receiver recomputes and compares
    (with `hmac.compare_digest`)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def slack_body(text: str) -> dict[str, Any]:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"text": escaped}


def discord_body(text: str) -> dict[str, Any]:
    escaped = _DISCORD_MARKUP.sub(r"\\\1", text)
    if len(escaped) > DISCORD_MAX:
        escaped = escaped[: DISCORD_MAX - 1] + "…"
    return {"content": escaped, "allowed_mentions": {"parse": []}}


def send_http(
    target: NotifyTarget,
    secrets: Mapping[str, str],
    *,
    text: str,
    payload: Mapping[str, Any],
    uid: str,
) -> None:
    """Deliver one notification to an HTTP target; raises NotifyFailed."""
    headers = {"Content-Type": "application/json", "User-Agent": "xensocial-notify"}
    method = "POST"
    if target.kind == "webhook":
        url, body = target.options["url"], dict(payload)
        headers["X-Xensocial-Id"] = uid
    elif target.kind == "matrix":
        room = quote(target.options["room"], safe="")
        url = f"{target.options['homeserver']}/_matrix/client/v3/rooms/{room}/send/m.room.message/{uid}"
        body = {"msgtype": "m.text", "body": text}
        headers["Authorization"] = f"Bearer {secrets['access_token']}"
        method = "PUT"
    elif target.kind == "slack":
        url, body = secrets["url"], slack_body(text)
    else:
        url, body = secrets["url"], discord_body(text)
    data = json.dumps(body, ensure_ascii=False).encode()
    if target.kind == "webhook" and "secret" in secrets:
        headers[SIGNATURE_HEADER] = signature(secrets["secret"], data)
    _request(target, method, url, data, headers)


def _request(
    target: NotifyTarget, method: str, url: str, data: bytes, headers: dict[str, str]
) -> None:
    import httpx

    try:
        with httpx.Client(timeout=target.timeout.total_seconds(), follow_redirects=False) as client:
            response = client.request(method, url, content=data, headers=headers)
    except httpx.HTTPError as exc:
        # The URL is not named: a Slack or Discord webhook URL is the credential itself.
        raise NotifyFailed(
            target.name, f"cannot reach the {target.kind} target ({type(exc).__name__})"
        ) from None
    if response.is_success:
        return
    status = response.status_code
    raise NotifyFailed(
        target.name,
        f"the {target.kind} target answered HTTP {status}",
        retry=status >= 500 or status in (408, 429),
    )
