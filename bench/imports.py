"""Importing a CSV file again: `queue import` of 1,000, 5,000 and 50,000 rows all already
queued, on SQLite and PostgreSQL, and what a file too large costs (issue 15).

    .venv/bin/python bench/imports.py [--quick] [--sizes N,N,...] [--figures FILE]
                                      [--postgres URL | --no-postgres]

Staff import the same file again (a spreadsheet kept up to date), and the daemon imports its
`import_at_start` files at every start: each row then is a duplicate. That took 298 s for
50,000 rows (1,000: 1.3 s; 5,000: 7.4 s): quadratic, a savepoint rolled back per duplicate.
Target: 50,000 duplicate rows in < 10 s, as a whole process.

For each size, the queue is seeded in bulk with the file's items (one statement, through
`content_queue.newitems.item_rows`, the rows an import writes: the first import is not what is
measured), then `xensocial queue import FILE` runs as a whole process, as staff run it, with
the file's links written otherwise (a tracking parameter, a trailing slash) but canonically the
same. Figures: wall time (the target's), CPU time and peak memory. It exits 1 when an import
fails or writes anything: every row must be a duplicate. The sizes make a growth curve (`scale`
{"rows": N}): linear, it grows ten times from 5,000 to 50,000.

Then, once (no database involved): `queue import` of a 1 GB file (sparse) and of `/dev/zero`,
which must be refused (exit 2) with a peak memory < 100 MB (they reached 18.5 GB before).

`--quick`: 1,000 and 2,000 rows, no warm-up run. PostgreSQL runs in a scratch database,
dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Backend, Figure, add_suite_options, at_most, emit, on_each_backend  # noqa: E402
from _process import run_measured  # noqa: E402
from _support import process_env, xensocial_command  # noqa: E402

from content_queue import make_engine  # noqa: E402
from content_queue.newitems import item_rows  # noqa: E402
from content_queue.schema import Delivery, Item  # noqa: E402
from content_queue.views import NewItem  # noqa: E402
from xensocial.migrate import upgrade  # noqa: E402

BENCHMARK = "imports"
TARGET_S = 10.0  # 50,000 duplicate rows
TARGET_ROWS = 50_000
PEAK_MB = 100.0
SIZES = (1_000, 5_000, 50_000)
QUICK_SIZES = (1_000, 2_000)
CONFIG = """\
timezone = "UTC"
identity = "bench-imports"

[intake]
fetch_link_details = false

[[channels]]
name = "news"
network = "outbox"
slots = ["09:30"]

[channels.options]
path = "news.jsonl"
"""


def url(n: int) -> str:
    return f"https://bench.example/imports/{n}"


def seed(database_url: str, rows: int) -> None:
    """An empty queue, then `rows` items (and their deliveries) in bulk."""
    from sqlalchemy import delete, insert, text

    now = datetime(2026, 3, 1, tzinfo=UTC)
    items, deliveries = [], []
    for n in range(rows):
        new = NewItem(url=url(n), channels=["news"], title=f"Item {n}", source="csv")
        made = item_rows(new, None, now=now, evergreen_categories=frozenset())
        items.append({"id": n + 1, **made.item})
        deliveries.extend({"item_id": n + 1, **d} for d in made.deliveries)
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(delete(Delivery))
            conn.execute(delete(Item))
            for start in range(0, rows, 10_000):
                conn.execute(insert(Item), items[start : start + 10_000])
            for start in range(0, len(deliveries), 10_000):
                conn.execute(insert(Delivery), deliveries[start : start + 10_000])
        if engine.url.get_backend_name() == "postgresql":
            with engine.connect() as conn:  # what autovacuum does soon after a bulk load
                conn.execute(text("ANALYZE"))
                conn.commit()
    finally:
        engine.dispose()


def counts(database_url: str) -> tuple[int, int, int]:
    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            found = [
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("items", "deliveries", "audit_log")
            ]
    finally:
        engine.dispose()
    return found[0], found[1], found[2]


def write_rows(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("url,title,category\n")
        f.writelines(f"{url(n)}/?utm_source=sheet,Item {n} again,news\n" for n in range(rows))


def bench_backend(db: Backend, args: argparse.Namespace) -> list[Figure]:
    backend, database_url = db.name, db.url
    print(f"\n== {db.label}")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="xs-bench-imports-") as tmp:
        folder = Path(tmp)
        config = folder / "xensocial.toml"
        config.write_text(CONFIG, encoding="utf-8")
        env = process_env({"XENSOCIAL_DATABASE_URL": database_url, "XENSOCIAL_DATA_DIR": tmp})
        command = [*xensocial_command(), "--config", str(config), "queue", "import"]
        for rows in args.sizes:
            seed(database_url, rows)
            path = folder / f"rows-{rows}.csv"
            write_rows(path, rows)
            before = counts(database_url)
            if rows == args.sizes[0] and not args.quick:
                run_measured([*command, str(path)], env)  # warm-up: fills the bytecode cache
            run = run_measured([*command, str(path)], env)
            if counts(database_url) != before:
                raise SystemExit(f"broken: re-importing {rows:,} duplicate rows wrote something")
            print(f"   {rows:>7,} duplicate rows: {run.wall:6.2f} s wall, CPU {run.cpu:6.2f} s, "
                  f"peak RSS {run.peak_mb:5.0f} MB")  # fmt: skip
            name = f"queue import, {rows:,} duplicate rows"
            note = f"whole process; CPU {run.cpu:.1f} s; peak RSS {run.peak_mb:.0f} MB"
            scale = {"rows": rows}
            if rows == TARGET_ROWS:
                figures.append(at_most(BENCHMARK, name, run.wall, "s", TARGET_S,
                                       backend=backend, note=note, scale=scale))  # fmt: skip
            else:
                figures.append(Figure(BENCHMARK, name, run.wall, "s", backend=backend,
                                      note=note, scale=scale))  # fmt: skip
    return figures


def refusals() -> list[Figure]:
    """`queue import` of a 1 GB file and of /dev/zero: refused, in bounded memory."""
    print("\n== files an import refuses")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="xs-bench-imports-") as tmp:
        config = Path(tmp) / "xensocial.toml"
        config.write_text(CONFIG, encoding="utf-8")
        env = process_env({"XENSOCIAL_DATABASE_URL": f"sqlite:///{tmp}/q.db",
                           "XENSOCIAL_DATA_DIR": tmp})  # fmt: skip
        huge = Path(tmp) / "huge.csv"
        with huge.open("wb") as f:
            f.truncate(1024**3)  # sparse: no disk used
        command = [*xensocial_command(), "--config", str(config)]
        subprocess.run([*command, "db", "upgrade"], env=env, check=True, capture_output=True)
        for what, path in (("a 1 GB file", huge), ("/dev/zero", Path("/dev/zero"))):
            run = _refused([*command, "queue", "import", str(path)], env)
            print(f"   queue import of {what}: refused in {run['wall']:.2f} s, "
                  f"peak RSS {run['peak_mb']:.0f} MB")  # fmt: skip
            figures.append(
                at_most(BENCHMARK, f"queue import of {what}, refused: peak memory",
                        run["peak_mb"], "MB", PEAK_MB,
                        note=f"exit 2 in {run['wall']:.2f} s, whole process")
            )  # fmt: skip
    return figures


_PROBE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"code": done.returncode, "wall": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "err": done.stderr.decode(errors="replace")[-400:]}))
"""


def _refused(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a command that must be refused (exit 2), measured as `_process` does."""
    probe = subprocess.run([sys.executable, "-c", _PROBE, *argv], env=env, capture_output=True,
                           text=True, check=True)  # fmt: skip
    result = json.loads(probe.stdout)
    if result["code"] != 2:
        raise SystemExit(f"broken: {' '.join(argv)} exited {result['code']}: {result['err']}")
    return {"wall": float(result["wall"]), "peak_mb": float(result["peak_mb"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="rows, comma-separated (default 1000,5000,50000)")
    add_suite_options(parser)
    args = parser.parse_args()
    if args.sizes:
        args.sizes = tuple(int(n) for n in args.sizes.split(","))
    else:
        args.sizes = QUICK_SIZES if args.quick else SIZES
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    figures = on_each_backend(args, bench_backend, "imports")
    figures += refusals()
    emit(figures, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
