"""500 slow clients on the daemon's endpoint cost it a bounded number of threads and descriptors,
and never delay a post: the daemon as a subprocess, attacked over loopback while it posts.

The clients do what issue 15 found holding 307 threads: each opens a connection and sends a
request head a line a second, never finishing it; one the server closes (answered 503 at once
when all its places are taken, or 408 once its 5 s to send a head are over) connects again a
second later, so 500 keep knocking for the whole test. Meanwhile items are queued on a channel
that has a slot every second, and each post's delay is read from the records, not from the
daemon's word: the outbox line's `published_at` against the slot it was claimed for.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from content_queue import ContentQueue, NewItem, make_engine
from tests.e2e.conftest import Site
from tests.storage.exports.conftest import free_port
from tests.storage.exports.test_endpoint import get

from .test_daemon_endpoint import serving

pytestmark = pytest.mark.e2e

CLIENTS = 500
POSTS = 3
MAX_DELAY_S = 1.0


class SlowClients:
    """`count` clients sending half a request head, a line a second (see the module doc); at
    most `most` connections over their life, so the test stays bounded."""

    def __init__(self, address: tuple[str, int], count: int, most: int) -> None:
        self.address, self.most = address, most
        self.socks: list[socket.socket | None] = [None] * count
        self.retry_at = [0.0] * count
        self.fed_at = [0.0] * count
        self.opened = 0
        self.answers: Counter[str] = Counter()  # the status line each got before its close
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self._thread.join(10)
        for sock in self.socks:
            if sock is not None:
                sock.close()

    def _run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            for i, sock in enumerate(self.socks):
                if sock is None:
                    if now >= self.retry_at[i] and self.opened < self.most:
                        self._open(i, now)
                    continue
                self._tend(i, sock, now)
            self.stop.wait(0.1)

    def _open(self, i: int, now: float) -> None:
        self.opened += 1
        try:
            sock = socket.create_connection(self.address, timeout=1)
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        except OSError:
            self.retry_at[i] = now + 1
            return
        sock.setblocking(False)
        self.socks[i], self.fed_at[i] = sock, now

    def _tend(self, i: int, sock: socket.socket, now: float) -> None:
        try:
            answer = sock.recv(4096)
        except BlockingIOError:
            if now - self.fed_at[i] >= 1:  # still held: one more header line, never the end
                try:
                    sock.send(b"X-Slow: 1\r\n")
                    self.fed_at[i] = now
                except OSError:
                    self._closed(i, sock, "reset", now)
            return
        except OSError:
            self._closed(i, sock, "reset", now)
            return
        self._closed(i, sock, answer.split(b"\r\n", 1)[0].decode() or "closed", now)

    def _closed(self, i: int, sock: socket.socket, how: str, now: float) -> None:
        sock.close()
        self.answers[how] += 1
        self.socks[i], self.retry_at[i] = None, now + 1


def counts(pid: int) -> tuple[int, int]:
    """The process's threads and open descriptors, as the kernel counts them."""
    status = Path(f"/proc/{pid}/status").read_text()
    threads = int(
        next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:"))
    )
    return threads, len(os.listdir(f"/proc/{pid}/fd"))


def post_delays(site: Site) -> list[float]:
    """For each post in the outbox: seconds from its slot to the line's `published_at`."""
    slots = dict(site.query("SELECT item_id, slot_at FROM slot_claims WHERE item_id IS NOT NULL"))
    delays = []
    for line in site.outbox.read_text().splitlines():
        record = json.loads(line)
        slot = datetime.fromisoformat(str(slots[record["item_id"]])).replace(tzinfo=None)
        published = datetime.fromisoformat(record["published_at"]).replace(tzinfo=None)
        delays.append((published - slot).total_seconds())
    return delays


def test_500_slow_clients_neither_delay_a_post_nor_grow_the_daemon(tmp_path: Path) -> None:
    site, port = Site(tmp_path, "0s"), free_port()
    serving(site, port)
    site.add_items(0)
    proc = site.start()
    samples: list[tuple[int, int]] = []
    try:
        assert site.wait_for(lambda: '"endpoint_listening"' in site.logs(), 30), site.logs()
        assert site.wait_for(lambda: len(site.query("SELECT id FROM slot_claims")) >= 3, 30)
        base_threads, base_fds = counts(proc.pid)  # slots have run: their pool is there

        with SlowClients(("127.0.0.1", port), CLIENTS, most=CLIENTS * 20) as clients:
            assert site.wait_for(lambda: clients.opened >= CLIENTS, 20, 0.1)
            time.sleep(1)  # every place taken, the rest knocking again
            opened_before = clients.opened
            engine = make_engine(f"sqlite:///{site.db}")
            queue = ContentQueue(engine)
            for n in range(POSTS):
                queue.add(
                    NewItem(
                        url=f"https://example.org/slow/{n}", title=f"Slow {n}", channels=["demo"]
                    )
                )
            engine.dispose()

            def posted() -> bool:
                samples.append(counts(proc.pid))
                return site.delivery_states() == {"published": POSTS}

            assert site.wait_for(posted, 30, 0.1), site.logs()[-3000:]
            knocked = clients.opened - opened_before  # connections made while posting
        answers = dict(clients.answers)

        delays = post_delays(site)
        threads, fds = max(t for t, _ in samples), max(f for _, f in samples)
        print(
            f"\nendpoint under {CLIENTS} slow clients: threads {base_threads} -> at most "
            f"{threads}, descriptors {base_fds} -> at most {fds}; post delays "
            f"{', '.join(f'{d * 1000:.0f} ms' for d in delays)}; {clients.opened} connections, "
            f"{knocked} while the posts were made; answers {answers}"
        )
        assert len(delays) == POSTS and max(delays) <= MAX_DELAY_S, delays
        assert threads <= base_threads + 2, (base_threads, threads)  # no thread per client
        assert fds <= base_fds + 64 + 8, (base_fds, fds)  # at most 64 connections held
        assert answers.get("HTTP/1.1 503 Service Unavailable", 0) > 0, answers  # refused at once
        assert knocked >= CLIENTS  # the clients were at it all the while the posts were made

        status, _, _ = get(f"http://127.0.0.1:{port}/healthz")  # the slow ones gone: answered
        assert status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, site.logs()[-3000:]
    finally:
        site.stop_all()
