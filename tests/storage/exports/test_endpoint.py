"""The endpoint in this process, over real HTTP: routes, health, the bind address, a taken port.

(The daemon serving it as a subprocess is in test_daemon_endpoint.py.)
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from sqlalchemy.engine import Engine
from structlog.testing import capture_logs

from tests.conftest import FakeClock
from xensocial.config import Settings
from xensocial.config.http import HttpConfig
from xensocial.heartbeat import Beat
from xensocial.reporting.http import Endpoint, start_endpoint

from .conftest import DaemonSeen, Seeded, free_port, settings_for, stop_database, utc


def get(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


class Running:
    """A started endpoint and the daemon state its health check reads."""

    def __init__(self, settings: Settings, clock: FakeClock, http: HttpConfig) -> None:
        self.daemon = DaemonSeen(clock)
        endpoint = start_endpoint(http, settings, clock=clock, daemon=self.daemon)
        assert endpoint is not None
        self.endpoint: Endpoint = endpoint
        host, port = endpoint.address
        self.base = f"http://{host}:{port}"


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, seeded: Seeded) -> Settings:
    return settings_for(tmp_path, engine.url.render_as_string(hide_password=False))


@pytest.fixture
def running(settings: Settings, clock: FakeClock) -> Iterator[Running]:
    served = Running(settings, clock, HttpConfig(port=free_port()))
    yield served
    served.endpoint.stop()


def test_binds_to_loopback_by_default(settings: Settings, clock: FakeClock) -> None:
    # The configuration's default, on a free port (9464 may be taken on a test machine).
    default = replace(settings.http, port=free_port())
    assert default.host == "127.0.0.1"
    with capture_logs() as logs:
        served = Running(settings, clock, default)
    try:
        # `address` is the listening socket's own name (getsockname), not the configuration.
        assert served.endpoint.address == ("127.0.0.1", default.port)
    finally:
        served.endpoint.stop()
    [listening] = [e for e in logs if e["event"] == "endpoint_listening"]
    assert listening["port"] == default.port
    assert not [e for e in logs if e["event"] == "endpoint_not_loopback"]


def test_another_address_is_served_with_a_warning(settings: Settings, clock: FakeClock) -> None:
    with capture_logs() as logs:
        served = Running(settings, clock, HttpConfig(host="0.0.0.0", port=free_port()))
    try:
        assert served.endpoint.address[0] == "0.0.0.0"
    finally:
        served.endpoint.stop()
    [warning] = [e for e in logs if e["event"] == "endpoint_not_loopback"]
    assert warning["log_level"] == "warning" and "firewall" in warning["reason"]


def test_a_taken_port_is_logged_and_nothing_else_happens(
    settings: Settings, clock: FakeClock
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with capture_logs() as logs:
            endpoint = start_endpoint(
                HttpConfig(port=port), settings, clock=clock, daemon=DaemonSeen(clock)
            )
    assert endpoint is None
    [error] = [e for e in logs if e["event"] == "endpoint_failed"]
    assert error["log_level"] == "error" and error["listen"] == f"127.0.0.1:{port}"
    assert "cannot listen there" in error["reason"]


def test_turned_off_serves_nothing(settings: Settings, clock: FakeClock) -> None:
    assert (
        start_endpoint(HttpConfig(host=None), settings, clock=clock, daemon=DaemonSeen(clock))
        is None
    )


def test_routes(running: Running, seeded: Seeded) -> None:
    status, content_type, body = get(running.base + "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    assert b'xensocial_posts_published_total{channel="alpha"} 2.0' in body
    status, content_type, body = get(
        running.base + "/metrics", accept="application/openmetrics-text; version=1.0.0"
    )
    assert status == 200 and content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")

    status, content_type, body = get(running.base + "/feed.atom")
    assert status == 200 and content_type.startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert feed.bozo == 0 and len(feed.entries) == 4
    assert feed.feed.links[0].href == running.base + "/feed.atom"  # rel=self, from the Host

    status, _, body = get(running.base + "/channels/beta/feed.atom")
    assert status == 200
    assert {e.tags[0].term for e in feedparser.parse(body).entries} == {"beta"}
    # gamma is no longer configured, but has posts: its feed is still there.
    status, _, body = get(running.base + "/channels/gamma/feed.atom")
    assert status == 200 and len(feedparser.parse(body).entries) == 1
    # delta is configured and never posted: an empty feed, not an error.
    status, _, body = get(running.base + "/channels/delta/feed.atom")
    assert status == 200 and feedparser.parse(body).entries == []

    for path in (
        "/channels/nope/feed.atom",
        "/",
        "/metrics/x",
        "/feed.rss",
        "/channels//feed.atom",
    ):
        status, content_type, body = get(running.base + path)
        assert status == 404, path
        assert content_type.startswith("application/json") and "error" in json.loads(body)


def test_healthz(running: Running, settings: Settings, clock: FakeClock) -> None:
    status, _, body = get(running.base + "/healthz")
    assert status == 200
    assert json.loads(body) == {
        "status": "ok",
        "database": "ok",
        "writes": "ok",
        "crashed_slots": 0,
        "heartbeat_age_s": 0.0,
        "scheduler": "running",
        "identity": "exports-test",
        "version": "0.1.0",
    }
    running.daemon.problem = "the scheduler is not running"
    status, _, body = get(running.base + "/healthz")
    assert status == 503
    answer = json.loads(body)
    assert (answer["status"], answer["scheduler"]) == ("unhealthy", "stopped")
    assert answer["reason"] == "the scheduler is not running"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            Beat(at=utc(2026, 3, 15, 12), write_refused="OperationalError: disk I/O error"),
            "the database refuses writes: OperationalError: disk I/O error",
        ),
        (
            Beat(at=utc(2026, 3, 15, 12), crashed_in_a_row=3, last_crash="KeyError: 'x'"),
            "the last 3 slots crashed (the latest: KeyError: 'x')",
        ),
        (
            Beat(at=utc(2026, 3, 15, 11, 58, 29)),
            "the heartbeat is 91 s old (limit 90 s): no slot or tick has completed its "
            "database work since",
        ),
        (Beat(), "no slot or tick has completed its database work yet"),
    ],
)
def test_healthz_follows_the_heartbeat_record(
    running: Running, clock: FakeClock, record: Beat, reason: str
) -> None:
    clock.set(utc(2026, 3, 15, 12))
    running.daemon.record = replace(record, crashed_in_a_row=2) if record.at is None else record
    status, _, body = get(running.base + "/healthz")
    answer = json.loads(body)
    assert (status, answer["status"], answer["reason"]) == (503, "unhealthy", reason), answer
    # Two crashes in a row are not yet three: healthy again once the record is fresh.
    running.daemon.record = Beat(at=clock(), crashed_in_a_row=2, last_crash="KeyError: 'x'")
    assert get(running.base + "/healthz")[0] == 200


def test_healthz_is_503_when_the_database_is_gone(
    tmp_path: Path, clock: FakeClock, settings: Settings, engine: Engine
) -> None:
    served = Running(settings, clock, HttpConfig(port=free_port()))
    try:
        assert get(served.base + "/healthz")[0] == 200
        stop_database(engine)
        status, _, body = get(served.base + "/healthz")
    finally:
        served.endpoint.stop()
    answer = json.loads(body)
    assert status == 503 and answer["database"] == "unreachable", answer
    assert answer["reason"].startswith("the database does not answer: "), answer
    assert not (tmp_path / "queue.db").exists()  # the check did not create an empty one
