"""Canonical URLs, so the same page is recognised however its link was written.

Two links are the same page when they differ only in: scheme or host case, an explicit default
port, a fragment, a trailing slash on the path, the order of query parameters, or tracking
parameters (utm_*, fbclid, gclid, ...). `canonical_url` maps both to one string; dedupe compares
those strings.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from .errors import InvalidItem
from .limits import MAX_URL

__all__ = ["TRACKING_PARAMETERS", "canonical_url", "validate_url"]

# Parameters that say how a visitor arrived, never which page they see.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "twclid",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "s_cid",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# The functions below are pure and each row of an import asks them about its URL several times
# (read, checked, compared for duplicates, stored): the answers for the latest URLs are kept
# (an import of 50,000 rows spent most of its time re-parsing them). A refusal is not kept.
_REMEMBERED = 4096
_split = lru_cache(maxsize=_REMEMBERED)(urlsplit)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMETERS


@lru_cache(maxsize=_REMEMBERED)
def validate_url(url: str) -> str:
    """Return the URL stripped of surrounding space, or raise InvalidItem if it is not http(s)."""
    if len(url) > MAX_URL:  # first: the checks below read it, and the messages quote it
        raise InvalidItem("url", f"{len(url)} characters, at most {MAX_URL}")
    cleaned = url.strip()
    try:
        parts = _split(cleaned)
    except ValueError as exc:  # "Invalid IPv6 URL", a host that NFKC turns into "/" or "@", ...
        raise InvalidItem("url", f"{url!r} is not an address ({exc})") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise InvalidItem("url", f"{url!r} is not an http:// or https:// address")
    if _BLANK_OR_CONTROL.search(cleaned):
        # urlsplit silently drops tabs and newlines, and a network cuts a link at a blank.
        raise InvalidItem(
            "url", f"{url!r} contains a blank or a control character; write a space as %20"
        )
    try:
        _ = parts.port
    except ValueError as exc:
        raise InvalidItem("url", f"{url!r} has a bad port ({exc})") from exc
    return cleaned


@lru_cache(maxsize=_REMEMBERED)
def canonical_url(url: str) -> str:
    """The form of `url` used to compare two links for dedupe (never shown or posted)."""
    parts = _split(validate_url(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:  # an IPv6 literal: urlsplit drops its brackets, the URL needs them back
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username:
        # Credentials in a link are rare and meaningful; keep them rather than merge pages.
        userinfo = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{userinfo}@{netloc}"
    # Normalise percent-encoding so %7E and ~ compare equal, then drop the trailing slash. An
    # encoded slash stays encoded: /a%2Fb is one segment, a different page from /a/b.
    path = "%2F".join(
        quote(unquote(part), safe="/:@!$&'()*+,;=-._~")
        for part in re.split("%2f", parts.path, flags=re.IGNORECASE)
    )
    path = path.rstrip("/")
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(sorted(query_pairs), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))
