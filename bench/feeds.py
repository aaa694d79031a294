"""How long does a polling round take, and how much memory? 500 feeds of 50 entries from a local
server: a first round (every feed new: fetch, parse, ingest), then a second round where every
feed answers 304 (no parse and no database write).

    .venv/bin/python bench/feeds.py [--feeds 500] [--entries 50] [--workers 8]
                                    [--database-url URL] [--quick] [--figures FILE]
                                    [--postgres URL | --no-postgres]

The feeds are served by a separate process (`--serve`, a threaded HTTP/1.1 server with ETags),
so the server's work does not share this process's CPU and memory figures. Polling is the real
`FeedPoller.poll_many` over the real fetcher (`allow_private_addresses` on, for 127.0.0.1) into
a real database: a scratch SQLite file, then a scratch PostgreSQL database when a server answers
(or only `--database-url`). For each round it prints:

- wall time, and feeds per second;
- peak resident memory of this process during the round, sampled every 5 ms, above the level
  just before the round; and the peak of Python allocations (tracemalloc) when `--tracemalloc`;
- the outcomes by status, and the SQL statements that wrote (INSERT/UPDATE/DELETE) during the
  round: the 304 round must show none;
- the requests the server answered 200 and 304;
- with `--phases`, the time spent in fetching, parsing and ingesting, summed over all feeds
  (with several workers the sums overlap; with `--workers 1` they add up to the wall time).

The figures (for `bench/run`) are the wall time and peak memory of each round, and the SQL
writes of the 304 round, whose target is none (docs/benchmarks-intake.md). Something broken
exits 1: a feed that fails, a server that does not answer every feed 200 then 304, or a 304
round that writes. `--quick`: 40 feeds of 20 entries.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure, add_suite_options, emit, exactly, on_each_backend  # noqa: E402

__all__ = ["feed_document", "main"]


# -- the server (a child process) ----------------------------------------------------------


def feed_document(index: int, entries: int) -> bytes:
    """A WordPress-shaped RSS 2.0 feed: `entries` items with HTML summaries, newest first."""
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    items = []
    for n in range(entries):
        when = format_datetime(start - timedelta(hours=n))
        items.append(
            f"""<item>
  <title>Feed {index} post {n}: notes on release {n}.{index}</title>
  <link>https://blog{index}.example.org/{2026 - n // 100}/post-{n}/</link>
  <guid isPermaLink="false">https://blog{index}.example.org/?p={1000 + n}</guid>
  <pubDate>{when}</pubDate>
  <dc:creator><![CDATA[Author {n % 7}]]></dc:creator>
  <category><![CDATA[News]]></category>
  <description><![CDATA[<p>Post {n} of blog {index}: what changed, why, and how to upgrade.
  The short version is in the <a href="https://blog{index}.example.org/">release notes</a>.</p>]]>
  </description>
</item>"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>\n'
        f"<title>Blog {index}</title><link>https://blog{index}.example.org/</link>\n"
        "<description>A project blog</description>\n" + "\n".join(items) + "\n</channel></rss>\n"
    ).encode()


def serve(feeds: int, entries: int) -> None:
    """Serve /feed/<n> for n < feeds with ETags, printing the port, until stdin closes."""
    docs = [feed_document(i, entries) for i in range(feeds)]
    etags = ['"' + hashlib.sha256(d).hexdigest()[:16] + '"' for d in docs]
    counts: Counter[int] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/stats":
                with lock:
                    body = f"{counts[200]} {counts[304]}".encode()
                self._answer(200, body, {})
                return
            try:
                n = int(self.path.rsplit("/", 1)[1])
                doc, etag = docs[n], etags[n]
            except (ValueError, IndexError):
                self._answer(404, b"", {})
                return
            if self.headers.get("If-None-Match") == etag:
                with lock:
                    counts[304] += 1
                self._answer(304, b"", {"ETag": etag})
                return
            with lock:
                counts[200] += 1
            self._answer(200, doc, {"ETag": etag, "Content-Type": "application/rss+xml"})

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    ThreadingHTTPServer.request_queue_size = 256
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(httpd.server_address[1], flush=True)
    sys.stdin.read()  # the parent closes stdin (or exits) to stop us
    httpd.shutdown()


@contextmanager
def server_process(feeds: int, entries: int) -> Iterator[str]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feeds", str(feeds), "--entries", str(entries)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)


# -- measuring -----------------------------------------------------------------------------


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the lifetime peak is the best there is
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextmanager
def peak_rss() -> Iterator[dict[str, int]]:
    """Samples resident memory every 5 ms; yields a dict that gets `base` and `peak`."""
    out = {"base": _rss_bytes(), "peak": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.005):
            out["peak"] = max(out["peak"], _rss_bytes())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        out["peak"] = max(out["peak"], _rss_bytes())


@dataclass(frozen=True)
class Round:
    """What one polling round measured."""

    wall: float  # seconds
    rss_peak_mb: float  # above the level before the round
    statuses: Counter[str]
    answered: tuple[int, int]  # requests the server answered 200 and 304
    writes: int  # INSERT/UPDATE/DELETE statements


def run_round(
    name: str, poll: Callable[[], list[Any]], writes: list[str], base_url: str, use_tm: bool
) -> Round:
    import httpx

    writes.clear()
    before = [int(x) for x in httpx.get(f"{base_url}/stats").text.split()]
    if use_tm:
        tracemalloc.start()
    with peak_rss() as rss:
        started = time.perf_counter()
        outcomes = poll()
        wall = time.perf_counter() - started
    tm_peak = tracemalloc.get_traced_memory()[1] if use_tm else None
    if use_tm:
        tracemalloc.stop()
    after = [int(x) for x in httpx.get(f"{base_url}/stats").text.split()]
    statuses = Counter(o.status for o in outcomes)
    print(f"{name}:")
    print(f"  wall time        {wall:8.2f} s   ({len(outcomes) / wall:7.1f} feeds/s)")
    print(
        f"  peak RSS         {(rss['peak'] - rss['base']) / 2**20:8.1f} MB above the "
        f"{rss['base'] / 2**20:.0f} MB before the round"
    )
    if tm_peak is not None:
        print(f"  tracemalloc peak {tm_peak / 2**20:8.1f} MB (Python allocations)")
    print(f"  outcomes         {dict(statuses)}")
    print(f"  server answered  {after[0] - before[0]} x 200, {after[1] - before[1]} x 304")
    print(f"  SQL writes       {len(writes)}")
    errors = [o for o in outcomes if o.status == "error"]
    for o in errors[:3]:
        print(f"    error: {o.describe()}")
    answered = (after[0] - before[0], after[1] - before[1])
    return Round(wall, (rss["peak"] - rss["base"]) / 2**20, statuses, answered, len(writes))


def _time_phases(poller: Any, store: Any, phases: Counter[str]) -> None:
    """Wrap the three steps of a poll with timers (the benchmark's instrument, not a change)."""
    from xensocial.intake import poller as poller_module

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] += time.perf_counter() - started  # type: ignore[assignment]

        return wrapper

    poller._fetch = timed("fetch", poller._fetch)
    poller_module.parse_feed = timed("parse", poller_module.parse_feed)  # type: ignore[attr-defined]
    store.record_poll = timed("ingest", store.record_poll)


def _print_phases(phases: Counter[str]) -> None:
    if phases:
        summed = ", ".join(f"{k} {phases[k]:.2f} s" for k in ("fetch", "parse", "ingest"))
        print(f"  phases (summed)  {summed}")
        phases.clear()


# -- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, help="feeds polled (default 500; quick 40)")
    parser.add_argument("--entries", type=int, help="entries a feed (default 50; quick 20)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent fetches")
    parser.add_argument("--database-url", help="only this database (default: scratch ones)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    parser.add_argument("--phases", action="store_true", help="time fetch, parse and ingest")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    add_suite_options(parser)
    args = parser.parse_args(argv)
    args.feeds = args.feeds or (40 if args.quick else 500)
    args.entries = args.entries or (20 if args.quick else 50)
    if args.serve:
        serve(args.feeds, args.entries)
        return 0

    from xensocial.logs import configure_logging

    configure_logging("warning")  # one line per feed per round would drown the figures
    if args.database_url:
        emit(bench_database(args.database_url, args), args)
        return 0
    figures = on_each_backend(args, lambda db, a: bench_database(db.url, a), "feeds")
    print()
    emit(figures, args)
    return 0


def bench_database(database_url: str, args: argparse.Namespace) -> list[Figure]:
    """Both rounds on one database; their figures (SystemExit when something is broken)."""
    from sqlalchemy import event

    from content_queue.db import make_engine
    from content_queue.sources import FeedSpec, FeedStore
    from xensocial.intake.fetch import FetchLimits
    from xensocial.intake.poller import FeedPoller
    from xensocial.migrate import upgrade

    with server_process(args.feeds, args.entries) as url:
        engine = make_engine(database_url)
        upgrade(engine)
        writes: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def count_writes(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if statement.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"}:
                writes.append(statement)

        store = FeedStore(engine)
        for n in range(args.feeds):
            store.add(FeedSpec(name=f"blog-{n:04d}", url=f"{url}/feed/{n}", auto_approve=True))
        limits = FetchLimits(allow_private_addresses=True)
        poller = FeedPoller(store, channels=["bench"], limits=limits)
        feeds = store.list_feeds()
        phases: Counter[str] = Counter()
        if args.phases:
            _time_phases(poller, store, phases)
        backend = engine.url.get_backend_name()
        print(
            f"\n{args.feeds} feeds x {args.entries} entries "
            f"({len(feed_document(0, args.entries)) / 1024:.0f} KB each), "
            f"{args.workers} workers, {backend}, "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
        )

        def poll() -> list[Any]:
            return poller.poll_many(feeds, workers=args.workers)

        first = run_round(
            "round 1 (new feeds: fetch, parse, ingest)", poll, writes, url, args.tracemalloc
        )
        _print_phases(phases)
        feeds = store.list_feeds()  # now with their ETags
        second = run_round("round 2 (every feed answers 304)", poll, writes, url, args.tracemalloc)
        _print_phases(phases)
        engine.dispose()
    _check(first, "ok", (args.feeds, 0))
    _check(second, "not_modified", (0, args.feeds))
    if second.writes:
        raise SystemExit(f"broken: the 304 round wrote {second.writes} SQL statements, not 0")
    return round_figures(first, second, backend, args)


def _check(result: Round, status: str, answered: tuple[int, int]) -> None:
    """Broken, not slow: every feed must end `status`, and the server answer as expected."""
    feeds = sum(answered)
    if result.statuses != Counter({status: feeds}) or result.answered != answered:
        raise SystemExit(
            f"broken: expected {feeds} x {status} ({answered[0]} x 200, {answered[1]} x 304), "
            f"got {dict(result.statuses)} ({result.answered[0]} x 200, {result.answered[1]} x 304)"
        )


def round_figures(
    first: Round, second: Round, backend: str, args: argparse.Namespace
) -> list[Figure]:
    size = f"{args.feeds} feeds x {args.entries} entries, {args.workers} workers"

    def figure(name: str, value: float, unit: str, note: str = size) -> Figure:
        return Figure("feeds", name, value, unit, backend=backend, note=note)

    return [
        figure(
            "round 1 (new feeds: fetch, parse, ingest), wall",
            first.wall,
            "s",
            f"{size}; {args.feeds / first.wall:.1f} feeds/s",
        ),
        figure("round 1, peak RSS above the level before", first.rss_peak_mb, "MB"),
        figure(
            "round 2 (every feed answers 304), wall",
            second.wall,
            "s",
            f"{size}; {args.feeds / second.wall:.1f} feeds/s",
        ),
        figure("round 2, peak RSS above the level before", second.rss_peak_mb, "MB"),
        exactly(
            "feeds",
            "round 2 (every feed answers 304), SQL writes",
            second.writes,
            "statements",
            0,
            backend=backend,
            note="a 304 costs no parse and no database write",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
