"""HTTP plumbing shared by the adapters whose client library runs on `requests`.

Client libraries are written for one real host and often send with no timeout (tweepy's
`Client.request` hard-codes `https://api.twitter.com` and passes none; facebook-sdk passes the
timeout it was given, None by default). A request without a timeout can hang a slot forever, and
a hard-coded host cannot be pointed at a fake server or a proxy. `make_session` returns a
`requests.Session` that fixes both for every request the library makes through it:

- an `HTTPAdapter` mounted on `http://` and `https://` applies connect/read timeouts whenever
  the caller passed none, and never retries (a retried POST could post twice);
- when `api_base_url` is configured, requests to the library's real hosts (`real_hosts`, e.g.
  `https://api.twitter.com`) are sent to that base URL instead. The rewrite happens when the
  request is *prepared*, before authentication, so an OAuth 1.0a signature covers the URL that
  is really requested.

`transport_error` turns a `requests` exception into our error tree, deciding `maybe_posted`
from how far the request got: an error while connecting proves nothing was sent; a read
timeout or a connection dropped after sending does not.

Usage (the adapter gives the session to its library, when it first needs its client):

    session = make_session(timeout=ctx.timeout_seconds, real_hosts=("https://graph.facebook.com",),
                           api_base_url=parse_base_url(ctx.options.get("api_base_url")))

`parse_base_url` is in `_options`: it is checked when the channel is built. This module imports
`requests`, so an adapter imports it only when it first calls its network (see `_lazy`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
)

from .base import TransientError

__all__ = ["TimeoutHTTPAdapter", "make_session", "transport_error"]

Timeout = float | tuple[float, float]
_MAX_CONNECT_SECONDS = 10.0  # connecting takes one round trip; a long wait there helps nobody


class TimeoutHTTPAdapter(HTTPAdapter):
    """An HTTPAdapter that applies `timeout` to every request sent without one; no retries."""

    def __init__(self, timeout: Timeout) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        return super().send(
            request,
            stream=stream,
            timeout=self.timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


class _RoutedSession(requests.Session):
    """A Session that sends requests for `real_hosts` to `base_url` instead."""

    def __init__(self, real_hosts: Sequence[str], base_url: str | None) -> None:
        super().__init__()
        self._routes = [h.rstrip("/") for h in real_hosts] if base_url else []
        self._base = (base_url or "").rstrip("/")

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        url = request.url if isinstance(request.url, str) else ""
        for host in self._routes:
            if url == host or url.startswith((host + "/", host + "?")):
                request.url = self._base + url[len(host) :]
                break
        return super().prepare_request(request)


def make_session(
    *,
    timeout: Timeout,
    real_hosts: Sequence[str] = (),
    api_base_url: str | None = None,
) -> requests.Session:
    """A Session whose requests time out and, with `api_base_url`, go there instead of
    `real_hosts` (scheme and host, e.g. "https://api.twitter.com").

    A single number is the read timeout; the connect timeout is capped at 10 seconds."""
    if not isinstance(timeout, tuple):
        timeout = (min(float(timeout), _MAX_CONNECT_SECONDS), float(timeout))
    session = _RoutedSession(real_hosts, api_base_url)
    adapter = TimeoutHTTPAdapter(timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _sent_nothing(exc: requests.RequestException) -> bool:
    """True when `exc` proves the request never left: it failed while connecting."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return True
    if isinstance(exc, requests.ConnectionError):
        # requests wraps urllib3's MaxRetryError, whose `reason` says where it failed; a
        # "Connection aborted" (ProtocolError) may come after the body was sent.
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, NewConnectionError | NameResolutionError | ConnectTimeoutError)
    return False


def transport_error(exc: requests.RequestException, action: str) -> TransientError:
    """`exc` (raised while `action`, e.g. "posting to X") as a TransientError.

    maybe_posted is False only when the request provably never left (connect failure or
    connect timeout); a read timeout or a dropped connection may follow a created post."""
    if isinstance(exc, requests.ReadTimeout):
        return TransientError(f"{action}: no answer in time (read timeout)", maybe_posted=True)
    if isinstance(exc, requests.exceptions.InvalidJSONError):
        return TransientError(f"{action}: the answer was not valid JSON", maybe_posted=True)
    if _sent_nothing(exc):
        return TransientError(
            f"{action}: cannot connect ({type(exc).__name__})", maybe_posted=False
        )
    return TransientError(
        f"{action}: the connection failed after sending ({type(exc).__name__})", maybe_posted=True
    )
