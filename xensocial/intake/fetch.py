"""Fetch one URL for intake, safely: bounded in time and memory, never into the local network.

Every byte intake reads from the network (feeds, pages behind curated links) comes through
`fetch`, because the other end is untrusted: a feed may be slow, huge, compressed into a bomb,
redirect forever, or point at an address inside our own network. The rules, all in one place:

- Time: a connect timeout, a read timeout (per read), and an overall `deadline` for the whole
  fetch, redirects included. The deadline is enforced below httpx, on the socket: every read
  and write gets at most the time left, so a server that sends one byte a second (even while
  sending its headers) is cut off at the deadline, not when it stops.
- Memory: at most `max_bytes` of *decompressed* body. Compressed bodies (gzip, deflate) are
  inflated here, never more than the bytes still allowed per step, so a gzip bomb stops at the
  cap having used about `max_bytes` of memory. A Content-Length above the cap is refused unread.
- Redirects are followed by hand, at most `max_redirects`, refusing a loop; each hop is a new
  connection check. A leading run of permanent redirects (301/308) is reported as
  `permanent_redirect`, so a feed's stored URL can be updated.
- Conditional GET: `etag` / `last_modified` become If-None-Match / If-Modified-Since; a 304 is
  `not_modified` with no body (the caller skips parsing). A 410 is `gone`.
- Addresses: the connection is made by a network backend that resolves the host, checks every
  address (`netguard`) and connects to a checked address, in one step. Checking and connecting
  on the same resolution pins the address, so DNS rebinding has no window; TLS still verifies
  the certificate against the host name. After connecting, the peer address is checked again,
  which also guards a caller-supplied client (one not made by `make_client`).

The socket-level parts (the guarded connect, the deadline on every read) live in
`transport.py`. Errors are one exception, `FetchError`, whose message is one line for a log or
a terminal; `refused` says the address guard refused it (bad input, not a network failure).

    limits = FetchLimits(max_bytes=5_000_000)
    with make_client(limits) as client:           # share one client (a pool) across fetches
        result = fetch(url, limits=limits, etag=old_etag, client=client)
    if result.not_modified: ...
"""

from __future__ import annotations

import ipaddress
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from .. import __version__
from ..errors import IntakeError
from .limits import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_READ_TIMEOUT,
)
from .netguard import AddressRefusedError, ResolutionError, refusal_reason
from .transport import GuardedTransport, fetch_deadline

__all__ = [
    "DEFAULT_MAX_BYTES",
    "USER_AGENT",
    "FetchError",
    "FetchLimits",
    "FetchResult",
    "fetch",
    "make_client",
]

USER_AGENT = (
    f"xensocial/{__version__} (social media scheduler; +https://pypi.org/project/xensocial/)"
)
_CHUNK = 64 * 1024
_PERMANENT = frozenset({301, 308})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchLimits:
    """How long and how much one fetch may take; rejects inconsistent values at construction."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    deadline: float = DEFAULT_DEADLINE  # for the whole fetch, redirects and body included
    max_bytes: int = DEFAULT_MAX_BYTES  # of decompressed body
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    allow_private_addresses: bool = False
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "deadline"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
        if not isinstance(self.max_bytes, int) or isinstance(self.max_bytes, bool):
            raise ValueError(f"max_bytes must be an integer, not {self.max_bytes!r}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, not {self.max_bytes}")
        if not isinstance(self.max_redirects, int) or self.max_redirects < 0:
            raise ValueError(f"max_redirects must be 0 or more, not {self.max_redirects!r}")
        if not self.user_agent.strip() or any(c in self.user_agent for c in "\r\n"):
            raise ValueError("user_agent must be one non-empty line")


@dataclass(frozen=True)
class FetchResult:
    """The outcome of a fetch that got an answer (errors raise FetchError instead).

    `url` is the URL finally fetched (after redirects). `body` is the decompressed body, None
    when `not_modified` (304) or `gone` (410). `etag` / `last_modified` are the validators to
    send next time (the ones given, when a 304 does not repeat them). `truncated` is True only
    when `fetch(..., truncate=True)` stopped at `max_bytes`.
    """

    status: int
    url: str
    body: bytes | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    gone: bool
    permanent_redirect: str | None
    content_type: str | None
    truncated: bool = False


class FetchError(IntakeError):
    """A fetch that failed; `reason` is one line. `refused`: the address guard said no."""

    def __init__(self, reason: str, *, status: int | None = None, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.refused = refused


def make_client(limits: FetchLimits, *, max_connections: int = 10) -> httpx.Client:
    """An httpx client whose connections are address-guarded and deadline-bound; close it."""
    return httpx.Client(
        transport=GuardedTransport(
            allow_private=limits.allow_private_addresses, max_connections=max_connections
        ),
        timeout=_timeout(limits),
        follow_redirects=False,
        trust_env=False,
    )


def _timeout(limits: FetchLimits) -> httpx.Timeout:
    return httpx.Timeout(
        connect=limits.connect_timeout,
        read=limits.read_timeout,
        write=limits.read_timeout,
        pool=limits.connect_timeout,
    )


# -- the fetch -----------------------------------------------------------------------------


def fetch(
    url: str,
    *,
    limits: FetchLimits,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
    accept: str = "*/*",
    truncate: bool = False,
) -> FetchResult:
    """GET `url` within `limits`; raise FetchError with a one-line reason when that fails.

    With `truncate=True` a body longer than `max_bytes` is cut there (`truncated`) instead of
    refused: for reading a page's head, where the rest does not matter.
    """
    own_client = client is None
    http = make_client(limits, max_connections=2) if client is None else client
    end = time.monotonic() + limits.deadline
    token = fetch_deadline.set(end)
    try:
        return _follow(http, url, limits, etag, last_modified, accept, truncate, end)
    except AddressRefusedError as exc:
        raise FetchError(str(exc), refused=True) from exc
    except ResolutionError as exc:
        raise FetchError(str(exc)) from exc
    except httpx.TimeoutException as exc:
        if time.monotonic() >= end - 0.05:
            raise FetchError(_deadline_message(limits)) from exc
        if isinstance(exc, httpx.ConnectTimeout):
            raise FetchError(
                f"connect timeout: no connection within {limits.connect_timeout:g} s"
            ) from exc
        raise FetchError(f"read timeout: nothing received for {limits.read_timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"network error: {exc or type(exc).__name__}") from exc
    finally:
        fetch_deadline.reset(token)
        if own_client:
            http.close()


def _deadline_message(limits: FetchLimits) -> str:
    return f"gave up: no complete answer within the {limits.deadline:g} s deadline"


def _parse_url(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchError(f"not a valid URL: {url!s}: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {str(url)!r}")
    if not parsed.host:
        raise FetchError(f"the URL has no host: {str(url)!r}")
    return parsed


def _follow(
    client: httpx.Client,
    url: str,
    limits: FetchLimits,
    etag: str | None,
    last_modified: str | None,
    accept: str,
    truncate: bool,
    end: float,
) -> FetchResult:
    current = _parse_url(url)
    seen = {str(current)}
    permanent: str | None = None
    leading_permanent = True  # only a permanent redirect from the original URL moves it
    headers = {
        "User-Agent": limits.user_agent,
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",  # the ones we inflate ourselves, under the cap
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _hop in range(limits.max_redirects + 1):
        request = client.build_request("GET", current, headers=headers, timeout=_timeout(limits))
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            _check_peer(response, limits)
            if response.status_code in _REDIRECTS and "location" in response.headers:
                target = _parse_url(current.join(response.headers["location"]))
                if leading_permanent and response.status_code in _PERMANENT:
                    permanent = str(target)
                else:
                    leading_permanent = False
                if str(target) in seen:
                    raise FetchError(f"redirect loop: {current} leads back to {target}")
                seen.add(str(target))
                current = target
                continue
            return _result(response, current, limits, etag, last_modified, permanent, truncate, end)
        finally:
            response.close()
    raise FetchError(f"too many redirects: more than {limits.max_redirects} from {url}")


def _check_peer(response: httpx.Response, limits: FetchLimits) -> None:
    """Check the address really connected to (a second guard, and the only one for a client
    not made by `make_client`)."""
    if limits.allow_private_addresses:
        return
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if not peer:
        return
    ip = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
    reason = refusal_reason(ip)
    if reason is not None:
        host = response.request.url.host
        raise FetchError(str(AddressRefusedError(host, str(ip), reason)), refused=True)


def _result(
    response: httpx.Response,
    url: httpx.URL,
    limits: FetchLimits,
    etag: str | None,
    last_modified: str | None,
    permanent: str | None,
    truncate: bool,
    end: float,
) -> FetchResult:
    status = response.status_code
    new_etag = response.headers.get("etag")
    new_modified = response.headers.get("last-modified")
    if status == 304:  # a 304 need not repeat the validators: the ones sent still hold
        new_etag, new_modified = new_etag or etag, new_modified or last_modified
    common: dict[str, Any] = {
        "status": status,
        "url": str(url),
        "etag": new_etag,
        "last_modified": new_modified,
        "permanent_redirect": permanent,
        "content_type": response.headers.get("content-type"),
    }
    if status == 304:
        return FetchResult(body=None, not_modified=True, gone=False, **common)
    if status == 410:
        return FetchResult(body=None, not_modified=False, gone=True, **common)
    if not 200 <= status < 300:
        raise FetchError(f"HTTP {status} {response.reason_phrase}".rstrip(), status=status)
    body, truncated = _read_body(response, limits, truncate, end)
    return FetchResult(body=body, not_modified=False, gone=False, truncated=truncated, **common)


def _read_body(
    response: httpx.Response, limits: FetchLimits, truncate: bool, end: float
) -> tuple[bytes, bool]:
    cap = limits.max_bytes
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflater = _Inflater(encoding)
    declared = response.headers.get("content-length", "")
    if encoding == "identity" and declared.isdigit() and int(declared) > cap and not truncate:
        raise FetchError(f"response too large: {int(declared)} bytes announced, the limit is {cap}")
    out = bytearray()

    def budget() -> int:  # what may still be inflated, plus one byte to notice the excess
        return cap - len(out) + 1

    for raw in response.iter_raw(_CHUNK):
        if time.monotonic() > end:
            raise FetchError(_deadline_message(limits))
        for piece in inflater.feed(raw, budget):
            out += piece
            if len(out) > cap:
                if truncate:
                    return bytes(out[:cap]), True
                raise FetchError(_too_large(cap, encoding))
    out += inflater.finish()
    return bytes(out), False


def _too_large(cap: int, encoding: str) -> str:
    what = "decompressed response" if encoding != "identity" else "response"
    return f"{what} larger than the limit of {cap} bytes ([intake] max_bytes); stopped reading"


class _Inflater:
    """Inflates gzip/deflate a bounded step at a time, so output never outruns the cap."""

    def __init__(self, encoding: str) -> None:
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported Content-Encoding {encoding!r}")
        self._encoding = encoding
        self._obj: Any = None
        self._pending = b""
        self._received = False
        if encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes, budget: Callable[[], int]) -> Iterable[bytes]:
        """Yield the output of `data`, each piece at most `budget()` bytes (asked per piece)."""
        if self._encoding == "identity":
            yield data
            return
        self._received = self._received or bool(data)
        if self._obj is None:  # deflate: a zlib stream, or (as some servers send) raw deflate
            self._pending += data
            if len(self._pending) < 2:
                return
            data, self._pending = self._pending, b""
            zlib_header = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        while data:
            if self._obj.eof:
                if self._encoding == "deflate" or not data.strip(b"\0"):
                    return  # bytes after a deflate stream, or gzip's zero padding: ignored
                # gzip allows several members one after the other (RFC 1952): the body is
                # their concatenation, so a new member starts a new inflater.
                self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                piece = self._obj.decompress(data, budget())
            except zlib.error as exc:
                raise FetchError(f"corrupt {self._encoding} body: {exc}") from exc
            yield piece
            data = self._obj.unconsumed_tail or (self._obj.unused_data if self._obj.eof else b"")

    def finish(self) -> bytes:
        if self._encoding == "identity" or not self._received:
            return b""  # an empty body needs no end marker
        if self._obj is None or not self._obj.eof:
            raise FetchError(f"the {self._encoding} body ends before its end marker")
        return b""
