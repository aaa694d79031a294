"""The socket layer under intake's httpx client: the address guard and the fetch deadline.

httpx enforces timeouts per operation; a fetch needs two more things that only the layer that
opens sockets can give:

- The address guard with no DNS rebinding window: `GuardedBackend.connect_tcp` resolves the
  host, checks every address (`netguard.check_host`) and connects to a checked address, all in
  one call. The name is never resolved again for that connection, and TLS still verifies the
  certificate against the host name (httpcore passes it to `start_tls`).
- The overall deadline of a fetch: every read, write and TLS handshake on a connection waits
  at most until `fetch_deadline` (a monotonic time, set by `fetch` for the duration of one
  fetch). So a peer that trickles one byte a second, even in its status line and headers
  where httpx has no response yet to check, is cut off at the deadline.

`GuardedTransport` is httpx's own `HTTPTransport` with its connection pool built on that
backend; `fetch.make_client` is the way to get one.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from .netguard import check_host

__all__ = ["GuardedBackend", "GuardedTransport", "fetch_deadline"]

# The monotonic time at which the current fetch must end. A context variable, because the
# network backend is shared by every fetch on a client (and threads), while a deadline belongs
# to one fetch; each thread runs its fetch in its own context.
fetch_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "xensocial_fetch_deadline", default=None
)


def _cap(timeout: float | None, error: type[Exception]) -> float | None:
    end = fetch_deadline.get()
    if end is None:
        return timeout
    remaining = end - time.monotonic()
    if remaining <= 0:
        raise error("the fetch deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write waits at most until the fetch deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _cap(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks and connects in one step, so the address checked is the one used."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = check_host(host, port, allow_private=self._allow_private)
        last: Exception | None = None
        for ip in addresses:  # like socket.create_connection: the next address if one fails
            try:
                stream = self._inner.connect_tcp(
                    str(ip),
                    port,
                    _cap(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None  # check_host returns at least one address
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("intake does not connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on `GuardedBackend`, without proxies."""

    def __init__(self, *, allow_private: bool, max_connections: int) -> None:
        super().__init__(trust_env=False)
        # httpx has no public way to give HTTPTransport a network backend, but its pool is
        # httpcore's public ConnectionPool; we build that pool ourselves, on our backend. No
        # proxy (trust_env=False): through a proxy, the address check would check the proxy.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=GuardedBackend(allow_private=allow_private),
        )
