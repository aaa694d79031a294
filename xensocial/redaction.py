"""Secret values, known to the process once resolved, and their removal from any text it writes.

A secret is registered the moment it is read (`adapters.factory` for channel secrets, the
configuration for a database password), and from then on every place text leaves the process
runs through `redact_text`: log lines (`logs.redact`), adapter error messages (`AdapterError`,
which is what the database records and the CLI prints), and the CLI's own error lines and
`--debug` tracebacks. A network that echoes a request back in its error (a 400 quoting the
token, a library exception quoting the URL) can then not carry a secret any further.

A token travels encoded as often as not (percent-encoded in a query string or an OAuth header,
base64 in a Basic header), so each of those forms is redacted too. Nothing here imports
anything beyond the standard library: the adapters' base module uses it.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "add_secrets", "forms", "redact_text", "scrub"]

REDACTED = "[redacted]"

_lock = threading.Lock()
_known: set[str] = set()
_ordered: tuple[str, ...] = ()  # longest first, so a secret containing another goes whole


_MIN_ENCODED = 8  # the encoded forms of a shorter value would match ordinary words


def forms(secret: str) -> set[str]:
    """`secret` as it may appear in text: as is, percent-encoded, and base64 (only as is when it
    is shorter than 8 characters)."""
    if len(secret) < _MIN_ENCODED:
        return {secret}
    raw = secret.encode("utf-8")
    b64 = base64.b64encode(raw).decode("ascii")
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        b64,
        b64.rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii"),
    }


def add_secrets(values: Iterable[str | None]) -> None:
    """Register secret values (and their encoded forms) to redact from everything later."""
    global _ordered
    with _lock:
        for value in values:
            if value:
                _known.update(forms(value))
        _ordered = tuple(sorted(_known, key=len, reverse=True))


def redact_text(text: str) -> str:
    """`text` with every registered secret, in any of its forms, replaced by `[redacted]`."""
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub(value: Any) -> Any:
    """`value` with secrets redacted from every string in it (dicts, lists, exceptions)."""
    if not _ordered:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(v) for v in value)
    if isinstance(value, BaseException):
        return redact_text(str(value))
    return value
