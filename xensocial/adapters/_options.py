"""Checks on `[channels.options]` that more than one adapter makes.

Each adapter validates its own options in `__init__`, so that a typo in the configuration
fails when the channel is built rather than at the first post. The wording of these errors is
what an operator reads (and what the tests match), so the shared checks here build the exact
messages the adapters used to spell out one by one; only the adapter-specific words are
passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["numeric_id", "parse_base_url", "reject_unknown_options"]


def reject_unknown_options(options: Mapping[str, Any], allowed: Iterable[str], who: str) -> None:
    """Raise ValueError naming any option outside `allowed`.

    An unknown key is almost always a misspelling, and silently ignoring it would leave the
    channel running on a default the operator meant to override. `allowed` is listed in the
    order given (callers sort it when their message always did), and `who` is the subject of
    the sentence, e.g. "facebook" or "the outbox"."""
    allowed = tuple(allowed)
    unknown = set(options) - set(allowed)
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(sorted(unknown))}; {who} takes: " + ", ".join(allowed)
        )


def numeric_id(options: Mapping[str, Any], key: str, expected: str) -> str:
    """The option `key` as a string of digits, stripped; ValueError otherwise.

    Page and organization ids are numbers, but TOML lets an operator write them bare or quoted,
    so both an int (not a bool) and a digit string are accepted and normalised to the string the
    APIs put in paths and URNs. The error reads "<key>: <expected>, got <value>"."""
    value = options.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip().isdigit():
        raise ValueError(f"{key}: {expected}, got {value!r}")
    return value.strip()


def parse_base_url(value: object, option: str = "api_base_url") -> str | None:
    """The option's value as a base URL (None when unset). Raises ValueError naming `option`."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
            return value.strip().rstrip("/")
    raise ValueError(
        f"{option}: expected an http(s) URL such as 'https://proxy.example', got {value!r}"
    )
