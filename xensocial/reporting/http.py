"""The daemon's HTTP endpoint: `/metrics`, `/healthz` and the Atom feeds, on loopback by default.

Served by `server.Server`: one thread reads request heads without blocking (5 s to send one),
at most 64 connections are open at once (one more is answered 503 and closed), and a pool of 4
threads answers; so no client, however slow or numerous, costs the daemon more than 5 threads
and ~70 descriptors (see `server`). Four read-only routes need no framework. Routes:

    GET /metrics                        Prometheus text format, or OpenMetrics when the Accept
                                        header asks for it (prometheus_client's exposition)
    GET /healthz                        200 {"status": "ok", ...}, or 503 with the reason
    GET /feed.atom                      the Atom feed of every channel's posts
    GET /channels/NAME/feed.atom        one channel's (404 for a channel never heard of)

Anything else is 404, a method other than GET 405. Every route reads through a read-only engine
(`readonly.py`): serving never takes the SQLite write lock the daemon's slots need. `/healthz`
and `xensocial_database_up` follow the one health rule (`health.judge`).

The endpoint must never cost a post: `start_endpoint` logs an error and returns None when the
address cannot be bound (the port is taken, say), and the daemon carries on without it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import structlog
from sqlalchemy.engine import Connection, Engine

from content_queue.timeutil import Clock

from .atom import DEFAULT_LIMIT, atom_feed, latest_posts
from .health import DaemonState, HealthCheck
from .published import channel_has_history
from .readonly import read_only_engine
from .server import Limits, Request, Response, Server

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from ..config import Settings
    from ..config.http import HttpConfig

__all__ = ["Endpoint", "Exports", "Limits", "Response", "start_endpoint"]

log = structlog.get_logger("xensocial.endpoint")

READ_TIMEOUT = 5.0  # seconds a scrape or a feed may wait for the database
_CHANNEL_FEED = re.compile(r"^/channels/([^/]+)/feed\.atom$")
_JSON = "application/json; charset=utf-8"
_ATOM = "application/atom+xml; charset=utf-8"


class Exports:
    """What the routes answer, independent of HTTP (so each is testable as a call)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock,
        daemon: DaemonState,
    ) -> None:
        from prometheus_client import CollectorRegistry, ProcessCollector

        from .prometheus import DatabaseCollector

        self.settings, self.clock = settings, clock
        self.engine: Engine = read_only_engine(
            settings.database_url, timeout=READ_TIMEOUT, statement_timeout=READ_TIMEOUT
        )
        self.health = HealthCheck(
            settings.database_url,
            daemon,
            rules=settings.health,
            identity=settings.identity,
            clock=clock,
        )
        self.registry: CollectorRegistry = CollectorRegistry()
        self.registry.register(
            DatabaseCollector(
                self.engine, settings, clock, writes_problem=self.health.writes_problem
            )
        )
        ProcessCollector(registry=self.registry)  # memory, CPU, open files, start time

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


class Endpoint:
    """A running endpoint; `stop()` shuts it down and waits for its threads."""

    def __init__(self, address: tuple[str, int], exports: Exports, limits: Limits) -> None:
        self.exports = exports
        self._server = Server(address, self._answer, limits)

    def _answer(self, request: Request) -> Response:
        path = urlsplit(request.target).path
        try:
            return self.exports.route(
                path, request.headers.get("accept", ""), request.headers.get("host")
            )
        except Exception:  # a bug in one route must not take the endpoint down
            log.exception("endpoint_request_failed", path=path)
            return 500, _JSON, b'{"error": "internal error (see the log)"}\n'

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the listening socket is bound to (its getsockname)."""
        return self._server.address

    def stop(self) -> None:
        self._server.stop()
        self.exports.close()


def start_endpoint(
    config: HttpConfig,
    settings: Settings,
    *,
    clock: Clock,
    daemon: DaemonState,
    limits: Limits | None = None,
) -> Endpoint | None:
    """Serve the exports at `config`'s address; None when it is off or cannot be bound (logged).
    `daemon` tells the health check about the scheduler and the heartbeat; `limits` are the
    server's bounds (the defaults unless a test needs others)."""
    if not config.enabled or config.host is None:
        log.info("endpoint_off", reason="[http] listen is empty or enabled = false")
        return None
    where = config.describe()
    try:
        exports = Exports(settings, clock=clock, daemon=daemon)
    except Exception as exc:  # e.g. an in-memory SQLite database no other connection can read
        log.error("endpoint_failed", listen=where, reason=str(exc))
        return None
    try:
        endpoint = Endpoint((config.host, config.port), exports, limits or Limits())
    except OSError as exc:
        exports.close()
        log.error(
            "endpoint_failed",
            listen=where,
            reason=f"cannot listen there: {exc.strerror or exc}; the daemon goes on without "
            "/metrics and /healthz",
        )
        return None
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
