"""Secret values, known to the process once resolved, and their removal from any text it writes.

A secret is registered the moment it is read (`adapters.factory` for channel secrets, the
configuration for a database password), and from then on every place text leaves the process
runs through `redact_text`: log lines (`logs.redact`), adapter error messages (`AdapterError`,
which is what the database records and the CLI prints), and the CLI's own error lines and
`--debug` tracebacks. A network that echoes a request back in its error (a 400 quoting the
token, a library exception quoting the URL) can then not carry a secret any further.

A token travels encoded as often as not (percent-encoded in a query string or an OAuth header,
base64 in a Basic header), so each of those forms is redacted too.

All forms of all secrets are replaced in one pass of one compiled regular expression, its
alternatives longest first, so a secret that contains another goes whole. Replacing them one
after the other instead let a later, shorter secret match inside an earlier `[redacted]` (with
one-letter secrets an error became `[re[re[redacted]acte[redacted]]...`). The marker itself is
the expression's first alternative, replaced by itself: text redacted once (a log line, then the
CLI's error line quoting it) comes out of a second pass unchanged.

Nothing here imports anything beyond the standard library: the adapters' base module uses it.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "Redactor", "add_secrets", "forms", "redact_text", "scrub"]

REDACTED = "[redacted]"

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


class Redactor:
    """A set of secrets and the one expression that replaces all their forms.

    The process has one (`add_secrets`, `redact_text`); tests make their own, so the values
    they invent never redact another test's output."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str | None]) -> None:
        """Register secret values (and their encoded forms) to redact from everything later."""
        with self._lock:
            before = len(self._known)
            for value in values:
                if value:
                    self._known.update(forms(value))
            if len(self._known) == before:
                return
            # Longest first: at each position the regex takes the first alternative that
            # matches, so a secret containing another is replaced whole, not in part.
            ordered = sorted(self._known, key=lambda s: (-len(s), s))
            self._pattern = re.compile("|".join(re.escape(s) for s in (REDACTED, *ordered)))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def redact(self, text: str) -> str:
        """`text` with every registered secret, in any of its forms, replaced by `[redacted]`."""
        pattern = self._pattern  # read once: a concurrent `add` swaps it whole
        if pattern is None:
            return text
        return pattern.sub(REDACTED, text)


_process = Redactor()


def add_secrets(values: Iterable[str | None]) -> None:
    """Register secret values (and their encoded forms) to redact from everything later."""
    _process.add(values)


def redact_text(text: str) -> str:
    """`text` with every registered secret, in any of its forms, replaced by `[redacted]`."""
    return _process.redact(text)


def scrub(value: Any) -> Any:
    """`value` with secrets redacted from every string in it (dicts, lists, exceptions)."""
    if not _process:
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
