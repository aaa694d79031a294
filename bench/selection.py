"""Is choosing the next item cheap with a big queue? 100,000 queued items, on SQLite and (when a
server answers) PostgreSQL.

    .venv/bin/python bench/selection.py [--items N] [--calls N] [--quick] [--figures FILE]
                                        [--postgres URL | --no-postgres]

For each backend it builds the real schema (`xensocial.migrate.upgrade`), bulk-inserts N items
with SQLAlchemy Core (about 2 deliveries each over 4 channels, in a realistic mix of states),
then reports:

- choosing a slot's item as the daemon does for a channel without editorial rules
  (`EditorialStore.choose`, through `SlotChooser`): median and p95 over many calls; target < 5 ms;
- `xensocial queue list --state approved --json` (first page of 50) as a whole process, wall
  time, and whether it imported SQLAlchemy (on SQLite it reads through `content_queue.fastread`,
  plain sqlite3); target < 300 ms;
- the query plans of both queries, to show that an index serves them.

The PostgreSQL run uses a scratch database, dropped at the end. `--quick`: 5,000 items, 50
calls, 3 runs of the command. Exits 1 only when something is broken (nothing to choose, a
listing with the wrong count), never for a figure that misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import (  # noqa: E402
    Backend,
    Figure,
    add_suite_options,
    at_most,
    emit,
    on_each_backend,
)
from _support import (  # noqa: E402
    imported_modules,
    percentile,
    process_env,
    summary_ms,
    time_call,
    time_command,
    xensocial_command,
)

from content_queue import ContentQueue, Ledger, make_engine  # noqa: E402
from content_queue.editorial_store import EditorialStore  # noqa: E402
from content_queue.fastread import FastReader, sqlite_file  # noqa: E402
from content_queue.schema import Delivery, Item  # noqa: E402
from content_queue.selection import Rules  # noqa: E402
from content_queue.urls import canonical_url  # noqa: E402
from xensocial.migrate import upgrade  # noqa: E402

CHANNELS = ("xen-x", "xen-mastodon", "xen-linkedin", "xen-bluesky")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
__all__ = ["populate", "run_on_backends", "timed"]


def populate(engine: Engine, items: int, seed: int = 7) -> int:
    """Insert `items` items and their deliveries in bulk; returns the number of deliveries."""
    rng = random.Random(seed)
    item_rows: list[dict[str, Any]] = []
    delivery_rows: list[dict[str, Any]] = []
    start = NOW - timedelta(days=365)
    for i in range(1, items + 1):
        created = start + timedelta(seconds=i * 300)
        roll = rng.random()
        state = "approved" if roll < 0.85 else "draft" if roll < 0.95 else "cancelled"
        priority = rng.choice((0, 0, 0, 0, 0, 0, 1, 2, 5))
        not_before = NOW + timedelta(days=rng.randint(1, 30)) if rng.random() < 0.05 else None
        expires = NOW - timedelta(days=1) if rng.random() < 0.05 else None
        url = f"https://example.org/news/{i}"
        category = rng.choice(("news", "resource", "article", "event"))
        item_rows.append(
            {
                "id": i,
                "url": url,
                "canonical_url": canonical_url(url),
                "title": f"Item {i}: something worth posting",
                "text": "",
                "category": category,
                "tags": ["xen"],
                "source": "csv",
                "priority": priority,
                "not_before": not_before,
                "expires_at": expires,
                "state": state,
                "created_at": created,
                "created_by": "bench",
                "updated_at": created,
            }
        )
        for channel in rng.sample(CHANNELS, 2):
            done = rng.random() < 0.6  # most of a year-old queue has gone out already
            delivery_rows.append(
                {
                    "item_id": i,
                    "channel": channel,
                    "state": "published" if done else "pending",
                    "idempotency_key": f"xs-{uuid.UUID(int=rng.getrandbits(128)).hex}",
                    "attempts": 1 if done else 0,
                    "published_at": created + timedelta(hours=6) if done else None,
                    "sort_priority": priority,
                    "sort_category": category,
                    "sort_created_at": created,
                    "updated_at": created,
                }
            )
    with engine.begin() as conn:
        for chunk in range(0, len(item_rows), 10_000):
            conn.execute(insert(Item), item_rows[chunk : chunk + 10_000])
        for chunk in range(0, len(delivery_rows), 10_000):
            conn.execute(insert(Delivery), delivery_rows[chunk : chunk + 10_000])
    return len(delivery_rows)


@contextmanager
def captured_sql(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) the engine runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def print_plan(engine: Engine, statement: str, params: Any) -> None:
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(explain + statement, params).all()
    for row in rows:
        print("      " + (" | ".join(str(c) for c in row[-1:]) if row else ""))


def populated(db: Backend, items: int) -> Engine:
    """The scratch database of `db`, migrated and filled with `items` items (said on stdout)."""
    print(f"\n== {db.label}: {db.url.split('@')[-1]}")
    engine = make_engine(db.url)
    upgrade(engine)
    deliveries = populate(engine, items)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # what autovacuum does soon after a bulk load
            conn.execute(text("ANALYZE"))
    print(f"   {items:,} items, {deliveries:,} deliveries on {len(CHANNELS)} channels")
    return engine


def bench_backend(db: Backend, args: argparse.Namespace) -> list[Figure]:
    engine = populated(db, args.items)
    backend, url = db.name, db.url
    sizes = f"{args.items:,} items"

    store = EditorialStore.of(Ledger(engine, clock=lambda: NOW))
    no_rules = Rules()  # no mix, no evergreen recycling, no reminders (bench/editorial.py has them)
    chosen = store.choose(CHANNELS[0], NOW, no_rules)
    if chosen is None or chosen.candidate is None:
        raise SystemExit("broken: the benchmark data has nothing eligible for a slot")
    rotation = iter(range(10**9))

    def one_choice() -> None:
        store.choose(CHANNELS[next(rotation) % len(CHANNELS)], NOW, no_rules)

    times = time_call(one_choice, args.calls)
    print(f"   EditorialStore.choose, no rules  {summary_ms(times)}   target < 5 ms")
    label = "next item for a slot (EditorialStore.choose, no editorial rules)"
    figures = [timed(label, times, backend, sizes, 5)]

    queue = ContentQueue(engine, clock=lambda: NOW)
    listings = max(10, args.calls // 10)
    times = time_call(lambda: queue.list_items(state="approved", limit=50), listings)
    print(f"   ContentQueue.list_items(approved, 50) {summary_ms(times)}   (in process)")
    figures.append(
        timed("ContentQueue.list_items (approved, 50), in process", times, backend, sizes)
    )
    path = sqlite_file(url)
    if path is not None:
        fast = FastReader(path)
        if fast.list_items(state="approved") != queue.list_items(state="approved"):
            raise SystemExit("broken: FastReader and ContentQueue list different items")
        times = time_call(lambda: fast.list_items(state="approved", limit=50), listings)
        print(f"   FastReader.list_items(approved, 50)   {summary_ms(times)}   (in process)")
        figures.append(
            timed("FastReader.list_items (approved, 50), in process", times, backend, sizes)
        )

    command = [*xensocial_command(), "queue", "list", "--state", "approved", "--json"]
    runs = 3 if args.quick else 7
    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        env = {"XENSOCIAL_DATABASE_URL": url, "XENSOCIAL_DATA_DIR": tmp}
        check_listing(command, env, expected=min(50, queue.count_by_state().get("approved", 0)))
        wall = time_command(command, runs, env)
        print(f"   queue list --state approved --json  {summary_ms(wall)}   target < 300 ms")
        orm = "sqlalchemy" in imported_modules(command[len(xensocial_command()) :], env)
        print(f"   ... sqlalchemy {'imported' if orm else 'not imported'} by that command")
        imports = f"sqlalchemy {'imported' if orm else 'not imported'}"
        figures.append(
            timed("queue list --state approved --json, wall", wall, backend, sizes, 300, imports)
        )
        if path is not None:  # the same command on an empty database: start-up alone
            empty = f"sqlite:///{Path(tmp) / 'empty.db'}"
            upgrade_engine = make_engine(empty)
            upgrade(upgrade_engine)
            upgrade_engine.dispose()
            wall = time_command(command, runs, {**env, "XENSOCIAL_DATABASE_URL": empty})
            print(f"   ... the same on an empty SQLite DB  {summary_ms(wall)}   (start-up alone)")
            figures.append(
                timed("queue list on an empty database (start-up)", wall, backend, "no items")
            )

    with captured_sql(engine) as seen:
        store.choose(CHANNELS[0], NOW, no_rules)
    print("   plan of the selection query (EditorialStore.choose, no rules):")
    print_plan(engine, *seen[0])
    with captured_sql(engine) as seen:
        ContentQueue(engine).list_items(state="approved", limit=50)
    print("   plan of the list query (first page of approved items):")
    print_plan(engine, *seen[0])
    engine.dispose()
    return figures


def check_listing(command: list[str], env: dict[str, str], expected: int) -> None:
    """Fail loudly (broken, not slow) unless the command lists the `expected` items."""
    result = subprocess.run(command, env=process_env(env), capture_output=True, text=True)
    listed = json.loads(result.stdout) if result.returncode == 0 else None
    if not isinstance(listed, list) or len(listed) != expected:
        shown = f"{len(listed)} items" if isinstance(listed, list) else result.stderr[-300:]
        raise SystemExit(f"broken: {' '.join(command)} listed {shown}, not {expected}")


def timed(
    figure: str,
    seconds: list[float],
    backend: str,
    sizes: str,
    limit: float | None = None,
    more: str = "",
    benchmark: str = "selection",
) -> Figure:
    """The median of `seconds` in ms as a figure, its conditions (sizes, count, p95) in the
    note; with `limit`, its target is `< limit ms`."""
    median = statistics.median(seconds) * 1000
    p95 = percentile(seconds, 0.95) * 1000
    note = "; ".join(x for x in (sizes, f"median of {len(seconds)}, p95 {p95:.2f} ms", more) if x)
    if limit is None:
        return Figure(benchmark, figure, median, "ms", backend=backend, note=note)
    return at_most(benchmark, figure, median, "ms", limit, backend=backend, note=note)


def run_on_backends(
    bench: Callable[[Backend, argparse.Namespace], list[Figure]],
    description: str,
    calls: int,
    argv: list[str] | None = None,
) -> int:
    """Parse the command line (`--items`, `--calls` and the suite's options) and run
    `bench(backend, args)` on each backend (`on_each_backend`); emit the figures.
    `--quick` makes the queue 5,000 items and the calls a tenth (unless given)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--items", type=int, help="queued items (default 100,000; quick 5,000)")
    parser.add_argument(
        "--calls", type=int, help=f"timed calls (default {calls}; quick {calls // 10})"
    )
    add_suite_options(parser)
    args = parser.parse_args(argv)
    if args.items is None:
        args.items = 5_000 if args.quick else 100_000
    if args.calls is None:
        args.calls = calls // 10 if args.quick else calls
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    figures = on_each_backend(args, bench, Path(sys.argv[0]).stem)
    print()
    emit(figures, args)
    return 0


def main() -> int:
    return run_on_backends(bench_backend, __doc__.splitlines()[0], calls=500)


if __name__ == "__main__":
    sys.exit(main())
