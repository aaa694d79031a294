"""The endpoint's server keeps its bounds, over real sockets on 127.0.0.1, in this process.

Small limits (half a second to send a head, four connections, two workers) so each bound is
reached in a moment; the daemon under 500 slow clients is in test_endpoint_bounded.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from xensocial.reporting.server import Limits, Request, Response, Server

LIMITS = Limits(header_timeout=0.5, write_timeout=2.0, max_connections=4, workers=2, max_head=512)


class Answers:
    """The routes' stand-in: answers with the path it was asked for, each answer held until
    `release` is set (so a test can keep every worker busy)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.asked: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.asked.append(request)
        self.release.wait(10)
        return 200, "text/plain; charset=utf-8", request.target.encode()


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def server(answers: Answers) -> Iterator[Server]:
    served = Server(("127.0.0.1", 0), answers, LIMITS)
    yield served
    answers.release.set()
    served.stop()


def connect(server: Server) -> socket.socket:
    sock = socket.create_connection(server.address, timeout=5)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    sock.close()
    return b"".join(chunks)


def get(server: Server, path: str = "/x") -> bytes:
    sock = connect(server)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: here\r\n\r\n".encode())
    return read_all(sock)


def test_a_request_is_answered_and_the_connection_closed(server: Server, answers: Answers) -> None:
    answer = get(server, "/metrics?x=1")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"connection: close" in head.lower() and b"content-length: 12" in head.lower()
    assert body == b"/metrics?x=1"
    assert answers.asked[0].headers["host"] == "here"


def test_a_client_that_does_not_finish_its_head_is_cut_off(server: Server) -> None:
    sock = connect(server)
    started = time.monotonic()
    sock.sendall(b"GET /x HTTP/1.1\r\nHost: here\r\n")
    for _ in range(3):  # trickling bytes does not buy more time
        time.sleep(0.1)
        sock.sendall(b"X-Slow: 1\r\n")
    answer = read_all(sock)
    waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert LIMITS.header_timeout - 0.05 <= waited < LIMITS.header_timeout + 1.0


def test_one_connection_too_many_is_refused_at_once_and_the_others_are_served(
    server: Server,
) -> None:
    held = [connect(server) for _ in range(LIMITS.max_connections)]
    for sock in held:
        sock.sendall(b"GET /held HTTP/1.1\r\n")  # half a head each: all four places taken
    time.sleep(0.1)  # the server has accepted them
    started = time.monotonic()
    extra = connect(server)
    answer = read_all(extra)
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer
    assert time.monotonic() - started < 0.3  # refused without waiting for a place
    for sock in held:
        sock.sendall(b"Host: here\r\n\r\n")
        assert read_all(sock).endswith(b"/held")
    assert get(server).endswith(b"/x")  # the places are free again


def test_workers_are_bounded_and_requests_wait_for_one(server: Server, answers: Answers) -> None:
    answers.release.clear()
    before = threading.active_count()
    results: list[bytes] = []
    clients = [threading.Thread(target=lambda: results.append(get(server))) for _ in range(4)]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 5
    while len(answers.asked) < LIMITS.workers and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert len(answers.asked) == LIMITS.workers  # two answered at once, two waiting
    assert threading.active_count() == before + 4  # the clients' own: the server made none
    answers.release.set()
    for client in clients:
        client.join(10)
    assert len(results) == 4 and all(r.endswith(b"/x") for r in results)


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET /x HTTP/1.1\r\nHost: here\r\nX-Big: " + b"a" * 1000 + b"\r\n\r\n", b"431"),
        (b"POST /x HTTP/1.1\r\nHost: here\r\nContent-Length: 0\r\n\r\n", b"405"),
    ],
)
def test_bad_requests_get_an_error_not_an_answer(
    server: Server, answers: Answers, sent: bytes, status: bytes
) -> None:
    sock = connect(server)
    sock.sendall(sent)
    assert read_all(sock).startswith(b"HTTP/1.1 " + status), status
    assert answers.asked == [] or answers.asked[0].method == "POST"
    assert get(server).endswith(b"/x")


def test_stop_closes_the_port_and_the_threads(answers: Answers) -> None:
    before = threading.active_count()
    served = Server(("127.0.0.1", 0), answers, LIMITS)
    assert threading.active_count() == before + 1 + LIMITS.workers
    idle = connect(served)  # a client in the middle of nothing
    served.stop()
    assert threading.active_count() == before
    assert read_all(idle) == b""
    with pytest.raises(OSError):
        socket.create_connection(served.address, timeout=1)


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="timeouts must be above zero"):
        Limits(header_timeout=0)
    with pytest.raises(ValueError, match="1 or more"):
        Limits(max_connections=0)
