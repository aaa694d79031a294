"""A small fake HTTP server for adapter tests: real sockets on 127.0.0.1, routes per test, faults.

Each network's fake (`tests/fakes/x.py`, ...) registers its API's routes on one `FakeServer`;
the adapter under test talks to it through its real client library over real HTTP. The server
keeps its own log of every request it received (`server.log`), and that log, not anything the
client reports, is the judge of what was posted.

    with FakeServer() as server:
        server.route("POST", "/2/tweets", create)           # create(request) -> Reply
        server.fault("POST", "/2/tweets", Fault.respond(503, {"title": "Service Unavailable"}))
        server.fault("POST", "/2/tweets", Fault.accept_then_lose(), times=2)
        ...   # point the client at server.url
        assert [r.path for r in server.requests("POST")] == ["/2/tweets"] * 3

Routes: `route(method, pattern, handler)`; a pattern is a path whose `:name` segments match one
segment each (`/2/users/:id/tweets`), available as `request.params["id"]`. The query string is
not part of the match (`request.query`). An unmatched request is answered 404 and still logged.

Faults make failures deterministic: `fault(method, pattern, f, times=N)` queues `f` for the
next N requests to that route, in order; once the queue is empty the route answers normally.

- `Fault.respond(status, body, headers)`: answer this instead; the handler does not run
  (429 with rate-limit headers, 500, 503, 401...).
- `Fault.hang(seconds)`: wait, then close without answering; the handler does not run. With
  `seconds` above the client's read timeout this is a read timeout where nothing was created.
- `Fault.accept_then_lose(seconds=0)`: run the handler (the post IS created and logged), then
  wait `seconds` and close without answering: with 0 the connection drops at once, with more
  than the client's read timeout the client times out. Either way the response never arrives.
- `Fault.drop()`: close without answering and without running the handler.

`refuse()` stops listening for good and closes every open connection: from then on a client's
connection is refused at once (nothing was sent), as by a host where the service is down.

Random faults, for chaos tests: `server.chaos(Chaos(rng, error=0.12, timeout=0.08, ...))` makes
every routed request that has no queued fault draw one fault from the policy (a 5xx, a hang past
the client's timeout, the network's own 429 with a reset time, or accept-then-lose), each at its
rate; `Chaos.injected` counts what was drawn, by kind. A `Chaos` may be shared by servers.

A handler may stream: a `Reply` whose body is an iterator of bytes is sent chunk by chunk, with
no Content-Length unless the reply's headers give one, and the connection closes at its end (a
body of any size, or one that trickles; the iterator should wait on its own event, not forever).

Waits are cut short when the server stops, so a test never waits for a fault to finish.
Requests are logged before any fault applies: a request that got no answer is in the log.

A slow network, for load tests: `FakeServer(latency=0.05)` waits that many seconds before
answering every request (faults included), as a distant API would. `peak_in_flight` is the most
requests the server was handling at one moment (from receiving the request to just before
writing the answer, so a client's next request never overlaps its previous one here): how a
test sees the concurrency a client really used, whatever the client believes.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Chaos", "Fault", "FakeServer", "Handler", "Reply", "Request"]


@dataclass(frozen=True)
class Request:
    """One request as the server received it. Header names are lower-cased."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    params: Mapping[str, str] = field(default_factory=dict)  # the route's `:name` segments
    query_string: str = ""  # the raw query, for checks that need it exactly (OAuth signatures)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The query parameter `name` (its first value), or `default`."""
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def form(self) -> dict[str, str]:
        """The body as an `application/x-www-form-urlencoded` form (first value of each)."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}


@dataclass(frozen=True)
class Reply:
    """What a handler answers. `body` is sent as JSON unless it is bytes."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Fault:
    """One programmed failure; build it with the class methods below."""

    kind: str  # "respond" | "hang" | "accept_then_lose" | "drop" | "pass"
    reply: Reply | None = None
    seconds: float = 0.0

    @classmethod
    def respond(
        cls, status: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> Fault:
        return cls("respond", Reply(status, body, dict(headers or {})))

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        return cls("hang", seconds=seconds)

    @classmethod
    def accept_then_lose(cls, seconds: float = 0.0) -> Fault:
        return cls("accept_then_lose", seconds=seconds)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def passes(cls) -> Fault:
        """No failure: the request is answered as usual. Queued before another fault, it aims
        that one at a later request (the third part of a thread)."""
        return cls("pass")


@dataclass
class Chaos:
    """Faults drawn at random for requests that have no queued fault.

    Rates are per request, one draw each: `error` (500/502/503), `timeout` (no answer for
    `hang_seconds`, which should exceed the client's read timeout; nothing is created),
    `rate_limit` (what `limited()` builds: the network's 429 with its reset headers; without
    it, no 429 is drawn) and `lose` (accept-then-lose: the handler runs, the post IS created,
    the connection drops). `only` narrows which requests may be hit; `enabled` switches the
    whole policy off and on. `injected` counts the faults drawn, by kind."""

    rng: random.Random
    error: float = 0.0
    timeout: float = 0.0
    rate_limit: float = 0.0
    lose: float = 0.0
    hang_seconds: float = 2.0
    limited: Callable[[], Fault] | None = None
    only: Callable[[Request], bool] | None = None
    enabled: bool = True
    injected: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def draw(self, request: Request) -> Fault | None:
        """The fault for `request`, or None (answer normally)."""
        if not self.enabled or (self.only is not None and not self.only(request)):
            return None
        with self._lock:  # one policy may serve several servers' threads
            roll = self.rng.random()
            kinds: list[tuple[str, float]] = [
                ("5xx", self.error),
                ("timeout", self.timeout),
                ("429", self.rate_limit if self.limited is not None else 0.0),
                ("accept_then_lose", self.lose),
            ]
            for kind, rate in kinds:
                if roll < rate:
                    self.injected[kind] += 1
                    return self._build(kind)
                roll -= rate
            return None

    def _build(self, kind: str) -> Fault:
        if kind == "5xx":
            status = self.rng.choice((500, 502, 503))
            return Fault.respond(status, {"error": "chaos", "status": status})
        if kind == "timeout":
            return Fault.hang(self.hang_seconds)
        if kind == "429":
            assert self.limited is not None
            return self.limited()
        return Fault.accept_then_lose()


@dataclass
class _Route:
    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    faults: deque[Fault] = field(default_factory=deque)


def _compile(pattern: str) -> re.Pattern[str]:
    parts = []
    for segment in pattern.strip("/").split("/"):
        if segment.startswith(":"):
            parts.append(f"(?P<{segment[1:]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "/?$")


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 (a free port), started and stopped as a context."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency  # seconds waited before every answer (a slow network)
        self._in_flight = 0
        self._peak_in_flight = 0
        self._routes: list[_Route] = []
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._chaos: Chaos | None = None
        self._connections: set[Any] = set()  # open client sockets, for `refuse`

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request log is the record; stderr noise helps nobody

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._connections.add(self.connection)

            def finish(self) -> None:
                with server._lock:
                    server._connections.discard(self.connection)
                super().finish()

            def _serve(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cut every fault's wait short
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def refuse(self) -> None:
        """Refuse every connection from now on (see the module docstring).

        The listening socket is closed, so the kernel refuses a connection to its port
        (ECONNREFUSED); kept-alive connections are shut too, or a client could send on one."""
        assert self._httpd is not None, "the server is not started"
        self._httpd.shutdown()
        self._httpd.socket.close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:41234 (no trailing slash)."""
        assert self._httpd is not None, "the server is not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- programming -----------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer `method pattern` with `handler`; a later route for the same pair replaces it."""
        method = method.upper()
        with self._lock:
            self._routes = [r for r in self._routes if (r.method, r.pattern) != (method, pattern)]
            self._routes.append(_Route(method, pattern, _compile(pattern), handler))

    def fault(self, method: str, pattern: str, fault: Fault, *, times: int = 1) -> None:
        """Queue `fault` for the next `times` requests to the route `method pattern`."""
        route = self._find_route(method.upper(), pattern)
        with self._lock:
            route.faults.extend([fault] * times)

    def chaos(self, policy: Chaos | None) -> None:
        """Draw a fault from `policy` for every routed request without a queued one (None:
        stop drawing)."""
        with self._lock:
            self._chaos = policy

    def pending_faults(self, method: str, pattern: str) -> int:
        with self._lock:
            return len(self._find_route(method.upper(), pattern).faults)

    def _find_route(self, method: str, pattern: str) -> _Route:
        for r in self._routes:
            if (r.method, r.pattern) == (method, pattern):
                return r
        raise KeyError(f"no route {method} {pattern}; register it before its faults")

    # -- the record ------------------------------------------------------------------------

    @property
    def log(self) -> list[Request]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._log)

    def requests(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """The logged requests, filtered by method and/or exact path (query excluded)."""
        return [
            r
            for r in self.log
            if (method is None or r.method == method.upper()) and (path is None or r.path == path)
        ]

    def __iter__(self) -> Iterator[Request]:
        return iter(self.log)

    @property
    def peak_in_flight(self) -> int:
        """The most requests handled at the same moment so far (see the module docstring)."""
        with self._lock:
            return self._peak_in_flight

    # -- serving ---------------------------------------------------------------------------

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        left = False
        try:
            if self.latency:
                self._stopping.wait(self.latency)
            reply = self._answer(h)
            # Out of flight before the answer is written: once a client has its answer, it
            # may send its next request, which must not be counted alongside this one.
            with self._lock:
                self._in_flight -= 1
                left = True
            if reply is not None:
                self._send(h, reply)
        finally:
            if not left:
                with self._lock:
                    self._in_flight -= 1

    def _answer(self, h: BaseHTTPRequestHandler) -> Reply | None:
        """The reply to send, or None when the connection is to close without one (a fault)."""
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        query = parse_qs(parts.query, keep_blank_values=True)
        method = h.command.upper()

        route, params, fault = None, {}, None
        with self._lock:
            for r in self._routes:
                m = r.regex.match(parts.path) if r.method == method else None
                if m:
                    route, params = r, m.groupdict()
                    fault = r.faults.popleft() if r.faults else None
                    break
            request = Request(method, parts.path, query, headers, body, params, parts.query)
            self._log.append(request)
            chaos = self._chaos if route is not None and fault is None else None
        if chaos is not None:
            fault = chaos.draw(request)

        if route is None:
            return Reply(404, {"title": "Not Found", "detail": f"no route {method} {parts.path}"})
        if fault is not None and fault.kind == "respond":
            assert fault.reply is not None
            return fault.reply
        if fault is not None and fault.kind in ("hang", "drop"):
            self._stopping.wait(fault.seconds)
            h.close_connection = True
            return None
        try:
            reply = route.handler(request)
        except Exception as exc:  # a broken fake must show up as a 500, not a hung client
            reply = Reply(500, {"title": "Fake Handler Error", "detail": repr(exc)})
        if fault is not None and fault.kind == "accept_then_lose":
            self._stopping.wait(fault.seconds)
            h.close_connection = True
            return None
        return reply

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, reply: Reply) -> None:
        if isinstance(reply.body, Iterator):
            FakeServer._stream(h, reply)
            return
        if isinstance(reply.body, bytes):
            payload, ctype = reply.body, "application/octet-stream"
        elif reply.body is None:
            payload, ctype = b"", "application/json"
        else:
            payload, ctype = json.dumps(reply.body).encode("utf-8"), "application/json"
        try:
            h.send_response(reply.status)
            headers = {k.lower(): v for k, v in reply.headers.items()}
            if "content-type" not in headers:
                h.send_header("Content-Type", ctype)
            for k, v in reply.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout); the log already has the request

    @staticmethod
    def _stream(h: BaseHTTPRequestHandler, reply: Reply) -> None:
        h.close_connection = True  # without a Content-Length, the end of the body is the close
        try:
            h.send_response(reply.status)
            for k, v in reply.headers.items():
                h.send_header(k, v)
            h.end_headers()
            for chunk in reply.body:
                h.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what a size cap or a deadline does
