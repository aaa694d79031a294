"""A small HTTP/1.1 server whose cost is bounded whatever its clients do.

The endpoint (`http.py`) used the stdlib's `ThreadingHTTPServer`: one thread per connection and
no timeout, so 300 clients sending half a request held 307 threads and 318 descriptors for as
long as they liked, and under `ulimit -n 256` the daemon could no longer open its outbox: a
post stuck in `publishing` (issue 15). This server keeps three bounds instead:

- **One thread waits for every request head.** Connections are read without blocking in a
  selector loop until their request line and headers are complete (parsed by h11, the HTTP/1.1
  parser httpx is built on, with a limit on their size); a client that has not sent them within
  `Limits.header_timeout` of connecting is answered 408 and closed, however it trickles bytes.
- **At most `Limits.max_connections` open at once.** One more is answered 503 at once, without
  being read, and closed: a flood costs an accept and a close each, never a thread or a
  descriptor kept.
- **A fixed pool of `Limits.workers` threads** answers complete requests (reading the database
  is the slow part), each answer sent within `Limits.write_timeout`; one answer per connection
  (`Connection: close`).

So the daemon's threads stay at 1 + `workers` and its descriptors at `max_connections` plus a
handful, whatever arrives, and the slots' threads, database connections and files are never
short of either. The threads are daemon threads: a hung client never keeps the daemon from
exiting. Between requests the loop sleeps in `select()` (the listening socket and a pipe that
`stop()` writes to): an idle daemon is not woken.
"""

from __future__ import annotations

import contextlib
import os
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import h11
import structlog

__all__ = ["Limits", "Request", "Response", "Server"]

log = structlog.get_logger("xensocial.endpoint")

Response = tuple[int, str, bytes]  # status, content type, body
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed",
            408: b"Request Timeout", 431: b"Request Header Fields Too Large",
            500: b"Internal Server Error", 503: b"Service Unavailable"}  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """The server's bounds (see the module doc); the defaults are the daemon's."""

    header_timeout: float = 5.0  # seconds from connecting to a complete request head
    write_timeout: float = 10.0  # seconds to send one answer
    max_connections: int = 64  # open at once; one more is answered 503 and closed
    workers: int = 4  # requests answered at the same time
    max_head: int = 8192  # bytes of request line and headers

    def __post_init__(self) -> None:
        if min(self.header_timeout, self.write_timeout) <= 0:
            raise ValueError("timeouts must be above zero")
        if min(self.max_connections, self.workers, self.max_head) < 1:
            raise ValueError("max_connections, workers and max_head must be 1 or more")


@dataclass(frozen=True)
class Request:
    """A complete request head: method, target and headers (names lower-cased)."""

    method: str
    target: str
    headers: dict[str, str]


class _Client:
    def __init__(self, sock: socket.socket, deadline: float, max_head: int) -> None:
        self.sock, self.deadline = sock, deadline
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=max_head)
        self.request: Request | None = None
        self.received = 0  # bytes read before the head was complete


class Server:
    """Serves `answer(request)` at `address` until `stop()` (see the module doc)."""

    def __init__(
        self,
        address: tuple[str, int],
        answer: Callable[[Request], Response],
        limits: Limits | None = None,
    ) -> None:
        self.answer, self.limits = answer, limits or Limits()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._listener = socket.create_server(address, family=family, backlog=128)
        self._listener.setblocking(False)
        self._wake_read, self._wake_write = os.pipe()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        self._reading: dict[socket.socket, _Client] = {}
        self._open = 0  # connections accepted and not yet closed (reading or being answered)
        self._open_lock = threading.Lock()
        self._work: queue.SimpleQueue[_Client | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name="xensocial-endpoint", daemon=True)
        ]
        for n in range(self.limits.workers):
            self._threads.append(
                threading.Thread(target=self._worker, name=f"xensocial-endpoint-{n}", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the listening socket is bound to (its getsockname)."""
        host, port = self._listener.getsockname()[:2]
        return str(host), int(port)

    def stop(self) -> None:
        """Stop accepting, close every connection, and let the threads end."""
        os.write(self._wake_write, b"x")
        self._threads[0].join(timeout=2)
        for _ in self._threads[1:]:
            self._work.put(None)
        for thread in self._threads[1:]:
            thread.join(timeout=2)
        os.close(self._wake_read)
        os.close(self._wake_write)

    # -- the selector loop: accepting and reading heads -----------------------------------------

    def _serve(self) -> None:
        try:
            while True:
                timeout = None
                if self._reading:
                    first = min(c.deadline for c in self._reading.values())
                    timeout = max(0.0, first - time.monotonic())
                for key, _ in self._selector.select(timeout):
                    if key.fileobj == self._wake_read:
                        return
                    if key.fileobj is self._listener:
                        self._accept()
                    else:
                        self._read(self._reading[key.fileobj])  # type: ignore[index]
                self._expire()
        finally:
            for client in list(self._reading.values()):
                self._close(client)
            self._selector.close()
            self._listener.close()

    def _accept(self) -> None:
        for _ in range(self.limits.max_connections):  # a burst at a time, then the others
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors, say: the next round tries again
                log.warning("endpoint_accept_failed", reason=exc.strerror or str(exc))
                return
            sock.setblocking(False)
            with self._open_lock:
                full = self._open >= self.limits.max_connections
                if not full:
                    self._open += 1
            if full:
                with contextlib.suppress(OSError):
                    sock.send(_BUSY)  # an empty send buffer takes it at once
                sock.close()
                continue
            client = _Client(sock, time.monotonic() + self.limits.header_timeout,
                             self.limits.max_head)  # fmt: skip
            self._reading[sock] = client
            self._selector.register(sock, selectors.EVENT_READ)

    def _read(self, client: _Client) -> None:
        try:
            data = client.sock.recv(self.limits.max_head + 1)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(client)
            return
        client.received += len(data)
        if client.received > self.limits.max_head:  # (h11 alone checks unfinished heads only)
            self._hand_over(client, 431)
            return
        try:
            client.http.receive_data(data)  # b"": the client closed its side
            event = client.http.next_event()
        except h11.RemoteProtocolError as exc:
            self._hand_over(client, exc.error_status_hint)
            return
        if event is h11.NEED_DATA:
            return
        if isinstance(event, h11.Request):
            self._hand_over(client, None)
            client.request = Request(
                event.method.decode("ascii", "replace"),
                event.target.decode("ascii", "replace"),
                {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers},
            )
            self._work.put(client)
            return
        self._close(client)  # the connection closed before a request: nothing to answer

    def _hand_over(self, client: _Client, error: int | None) -> None:
        """The head is complete (or broken): out of the loop, to a worker or closed."""
        self._selector.unregister(client.sock)
        del self._reading[client.sock]
        if error is not None:
            self._send_plain(client, 431 if error == 431 else 400)

    def _expire(self) -> None:
        now = time.monotonic()
        for client in [c for c in self._reading.values() if c.deadline <= now]:
            self._selector.unregister(client.sock)
            del self._reading[client.sock]
            self._send_plain(client, 408)

    def _send_plain(self, client: _Client, status: int) -> None:
        """A bodiless error answer, sent without waiting (it fits an empty send buffer)."""
        head = b"HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n" % (
            status,
            _REASONS.get(status, b"Error"),
        )
        with contextlib.suppress(OSError):
            client.sock.send(head)
            client.sock.shutdown(socket.SHUT_WR)
            # What the client sent and we did not read would make the close a reset, which can
            # destroy the answer before it is read: drop what is already here (not more).
            client.sock.recv(self.limits.max_head + 65536)
        self._close(client)

    def _close(self, client: _Client) -> None:
        if client.sock in self._reading:
            self._selector.unregister(client.sock)
            del self._reading[client.sock]
        try:
            client.sock.close()
        finally:
            with self._open_lock:
                self._open -= 1

    # -- the workers: answering ---------------------------------------------------------------

    def _worker(self) -> None:
        while (client := self._work.get()) is not None:
            try:
                self._respond(client)
            except Exception:  # a bug in one answer must not take a worker down
                log.exception("endpoint_request_failed")
            finally:
                self._close(client)

    def _respond(self, client: _Client) -> None:
        request = client.request
        assert request is not None  # set before a client is queued
        if request.method != "GET":
            status, content_type, body = 405, "text/plain; charset=utf-8", b"GET only\n"
        else:
            status, content_type, body = self.answer(request)
        http = client.http
        headers = [
            (b"content-type", content_type.encode("latin-1")),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"connection", b"close"),
            (b"server", b"xensocial"),
        ]
        if status == 405:
            headers.append((b"allow", b"GET"))
        out = http.send(h11.Response(status_code=status, headers=headers,
                                     reason=_REASONS.get(status, b"")))  # fmt: skip
        out = (out or b"") + (http.send(h11.Data(data=body)) or b"")
        out += http.send(h11.EndOfMessage()) or b""
        client.sock.settimeout(self.limits.write_timeout)
        try:
            client.sock.sendall(out)
        except OSError:
            return  # the client went away or stopped reading: its loss
        log.debug("endpoint_request", method=request.method, path=request.target, status=status)
