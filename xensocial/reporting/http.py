"""The daemon's HTTP endpoint: `/metrics`, `/healthz` and the Atom feeds, on loopback by default.

A stdlib `ThreadingHTTPServer` in a daemon thread: four read-only routes need no framework, and
a thread per request keeps a slow scrape from holding up a health probe. Routes:

    GET /metrics                        Prometheus text format, or OpenMetrics when the Accept
                                        header asks for it (prometheus_client's exposition)
    GET /healthz                        200 {"status": "ok", ...}, or 503 with the reason
    GET /feed.atom                      the Atom feed of every channel's posts
    GET /channels/NAME/feed.atom        one channel's (404 for a channel never heard of)

Anything else is 404. Every route reads through a read-only engine (`readonly.py`): serving
never takes the SQLite write lock the daemon's slots need.

The endpoint must never cost a post: `start_endpoint` logs an error and returns None when the
address cannot be bound (the port is taken, say), and the daemon carries on without it.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import structlog
from sqlalchemy.engine import Connection, Engine

from content_queue.timeutil import Clock

from .atom import DEFAULT_LIMIT, atom_feed, latest_posts
from .health import HealthCheck
from .published import channel_has_history
from .readonly import read_only_engine

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from ..config import Settings
    from ..config_http import HttpConfig

__all__ = ["Endpoint", "Exports", "Response", "start_endpoint"]

log = structlog.get_logger("xensocial.endpoint")

READ_TIMEOUT = 5.0  # seconds a scrape or a feed may wait for the database
_CHANNEL_FEED = re.compile(r"^/channels/([^/]+)/feed\.atom$")
Response = tuple[int, str, bytes]  # status, content type, body
_JSON = "application/json; charset=utf-8"
_ATOM = "application/atom+xml; charset=utf-8"


class Exports:
    """What the routes answer, independent of HTTP (so each is testable as a call)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock,
        scheduler_problem: Callable[[], str | None],
    ) -> None:
        from prometheus_client import CollectorRegistry, ProcessCollector

        from .prometheus import DatabaseCollector

        self.settings, self.clock = settings, clock
        self.engine: Engine = read_only_engine(
            settings.database_url, timeout=READ_TIMEOUT, statement_timeout=READ_TIMEOUT
        )
        self.registry: CollectorRegistry = CollectorRegistry()
        self.registry.register(DatabaseCollector(self.engine, settings, clock))
        ProcessCollector(registry=self.registry)  # memory, CPU, open files, start time
        self.health = HealthCheck(
            settings.database_url, scheduler_problem, identity=settings.identity
        )

    def metrics(self, accept: str) -> Response:
        from prometheus_client.exposition import choose_encoder

        encoder, content_type = choose_encoder(accept)
        return 200, content_type, encoder(self.registry)

    def healthz(self) -> Response:
        health = self.health.check()
        body = json.dumps(health.as_dict(), ensure_ascii=False).encode() + b"\n"
        return (200 if health.ok else 503), _JSON, body

    def feed(self, channel: str | None, self_url: str | None) -> Response:
        with self.engine.connect() as conn:
            if channel is not None and not self._known(conn, channel):
                return _not_found(f"no channel named {channel!r}")
            posts = latest_posts(conn, channel=channel, limit=DEFAULT_LIMIT)
        return 200, _ATOM, atom_feed(posts, channel=channel, now=self.clock(), self_url=self_url)

    def route(self, path: str, accept: str, host: str | None) -> Response:
        if path == "/metrics":
            return self.metrics(accept)
        if path == "/healthz":
            return self.healthz()
        self_url = f"http://{host}{path}" if host else None
        if path == "/feed.atom":
            return self.feed(None, self_url)
        match = _CHANNEL_FEED.match(path)
        if match:
            return self.feed(unquote(match.group(1)), self_url)
        return _not_found(f"no such page: {path}; try /metrics, /healthz or /feed.atom")

    def _known(self, conn: Connection, channel: str) -> bool:
        return channel in self.settings.channel_names or channel_has_history(conn, channel)

    def close(self) -> None:
        self.engine.dispose()
        self.health.close()


def _not_found(message: str) -> Response:
    return 404, _JSON, json.dumps({"error": message}).encode() + b"\n"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "xensocial"

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's naming)
        path = urlsplit(self.path).path
        try:
            status, content_type, body = self.server.exports.route(
                path, self.headers.get("Accept", ""), self.headers.get("Host")
            )
        except Exception:  # a bug in one route must not take the endpoint down
            log.exception("endpoint_request_failed", path=path)
            status, content_type, body = 500, _JSON, b'{"error": "internal error (see the log)"}\n'
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("endpoint_request", client=self.client_address[0], line=format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client never keeps the daemon from exiting

    def __init__(self, address: tuple[str, int], exports: Exports) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.exports = exports
        super().__init__(address, _Handler)


class Endpoint:
    """A running endpoint; `stop()` shuts it down and waits for its thread.

    Its thread sleeps in `select()` on the listening socket and a pipe that `stop()` writes to,
    so a daemon waiting for its next slot is not woken while nobody asks anything (the stdlib's
    `serve_forever` wakes up every `poll_interval` to look for a shutdown request)."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="xensocial-endpoint", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._server, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while True:
                ready = selector.select()
                if any(key.fileobj == self._wake_read for key, _ in ready):
                    return
                self._server.handle_request()  # accepts the waiting connection: a thread serves it

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the listening socket is bound to (its getsockname)."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        os.write(self._wake_write, b"x")
        self._thread.join(timeout=2)
        self._server.server_close()
        os.close(self._wake_read)
        os.close(self._wake_write)
        self._server.exports.close()


def start_endpoint(
    config: HttpConfig,
    settings: Settings,
    *,
    clock: Clock,
    scheduler_problem: Callable[[], str | None],
) -> Endpoint | None:
    """Serve the exports at `config`'s address; None when it is off or cannot be bound (logged)."""
    if not config.enabled or config.host is None:
        log.info("endpoint_off", reason="[http] listen is empty or enabled = false")
        return None
    where = config.describe()
    try:
        exports = Exports(settings, clock=clock, scheduler_problem=scheduler_problem)
    except Exception as exc:  # e.g. an in-memory SQLite database no other connection can read
        log.error("endpoint_failed", listen=where, reason=str(exc))
        return None
    try:
        server = _Server((config.host, config.port), exports)
    except OSError as exc:
        exports.close()
        log.error(
            "endpoint_failed",
            listen=where,
            reason=f"cannot listen there: {exc.strerror or exc}; the daemon goes on without "
            "/metrics and /healthz",
        )
        return None
    endpoint = Endpoint(server)
    host, port = endpoint.address
    log.info("endpoint_listening", address=f"http://{config.describe()}", host=host, port=port)
    if not config.is_loopback:
        log.warning(
            "endpoint_not_loopback",
            listen=where,
            reason="other machines can read the metrics, health and feeds: restrict access "
            "with a firewall, or listen on 127.0.0.1",
        )
    return endpoint
