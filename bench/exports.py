"""Are the exports cheap on a big database? A year of 1,000 channels, on SQLite and PostgreSQL.

    .venv/bin/python bench/exports.py [--quick] [--channels N] [--posts N] [--scrapes N]
                                      [--figures FILE] [--postgres URL | --no-postgres]

For each backend it loads the same year of data as `bench/report.py` (`populate`: 100,000
posts, 594,000 engagement samples, a daily follower count per channel), plus 50 feeds, with
the channels of `bench/config_load.py` (x, mastodon, facebook and outbox; one in five on a
seconds cron), then measures:

- one `/metrics` scrape (`Exports.metrics`, in process: every query of the collector, the next
  slot of every channel, the exposition), median of `--scrapes` after a first one; a scrape
  runs every 15 to 60 s and must stay well under Prometheus' usual 10 s timeout: target < 1 s;
- `xensocial export csv --what engagement` (every sample) and `--what followers`, as whole
  processes: wall time and peak memory (the rows are streamed, so the memory should be the
  same for both, and not grow with the rows);
- `xensocial export atom` (the newest 50 posts) as a whole process.

It checks what each export wrote (as many CSV rows as the database has samples, 50 Atom
entries) and exits 1 when that is wrong. `--quick`: 20 channels, 2,000 posts.
The PostgreSQL run uses a scratch database, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Backend, Figure, add_suite_options, at_most, emit, on_each_backend  # noqa: E402
from _process import run_measured  # noqa: E402
from _support import process_env, time_call, xensocial_command  # noqa: E402
from config_load import write_config  # noqa: E402
from report import populate  # noqa: E402

from content_queue import make_engine  # noqa: E402
from content_queue.schema import EngagementSample, Feed, FollowerSample  # noqa: E402
from xensocial.config import load_settings  # noqa: E402
from xensocial.heartbeat import Beat  # noqa: E402
from xensocial.migrate import upgrade  # noqa: E402
from xensocial.reporting.http import Exports  # noqa: E402

BENCHMARK = "exports"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # a week before the data's year ends
ATOM_ENTRIES = 50


class _Alive:
    """A daemon whose scheduler runs and whose heartbeat is fresh (the endpoint asks)."""

    def scheduler_problem(self) -> str | None:
        return None

    def beat(self) -> Beat:
        return Beat(at=NOW)


def load(url: str, channels: int, posts: int) -> dict[str, int]:
    """The report's year of data and 50 feeds; returns the rows each CSV export must write."""
    engine = make_engine(url)
    upgrade(engine)
    populate(engine, channels, posts)
    feeds = [
        {"name": f"feed-{i}", "url": f"https://blog.example/{i}/feed", "status": "ok",
         "created_at": NOW}
        for i in range(50)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Feed), feeds)
        expected = {
            "engagement": conn.execute(select(func.count()).select_from(EngagementSample)),
            "followers": conn.execute(select(func.count()).select_from(FollowerSample)),
        }
        counts = {what: int(result.scalar_one()) for what, result in expected.items()}
    engine.dispose()
    return counts


def bench_backend(db: Backend, args: argparse.Namespace) -> list[Figure]:
    backend, url = db.name, db.url
    print(f"\n== {db.label}: {url.split('@')[-1]}")
    started = time.perf_counter()
    expected = load(url, args.channels, args.posts)
    print(
        f"   {args.posts:,} posts, {expected['engagement']:,} engagement samples, "
        f"{expected['followers']:,} follower samples on {args.channels:,} channels "
        f"(built in {time.perf_counter() - started:.0f} s)"
    )
    figures: list[Figure] = []
    who = f"{args.channels:,} channels"
    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        folder = Path(tmp)
        config = write_config(folder, args.channels, 'identity = "bench"')
        env = {"XENSOCIAL_DATABASE_URL": url, "XENSOCIAL_DATA_DIR": tmp}
        exports = Exports(load_settings(config, env=env), clock=lambda: NOW,
                          daemon=_Alive())  # fmt: skip
        body = exports.metrics("")[2]
        times = time_call(lambda: exports.metrics(""), args.scrapes, warmup=1)
        exports.close()
        scrape = statistics.median(times) * 1000
        print(f"   /metrics scrape ({len(body) / 1024:,.0f} KiB): median {scrape:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms (n={len(times)})")  # fmt: skip
        figures.append(
            at_most(BENCHMARK, f"/metrics scrape, {who}", scrape, "ms", 1000.0, backend=backend,
                    note=f"{len(body) / 1024:,.0f} KiB; median of {len(times)} in process")
        )  # fmt: skip
        command = [*xensocial_command(), "--config", str(config), "export"]
        measured_env = process_env(env)
        run_measured([*command, "atom", "--out", str(folder / "warm.atom")], measured_env)
        for what, rows in expected.items():
            out = folder / f"{what}.csv"
            run = run_measured([*command, "csv", "--what", what, "--out", str(out)], measured_env)
            written = out.read_text(encoding="utf-8").count("\n") - 1
            if written != rows:
                raise SystemExit(f"export csv --what {what} wrote {written:,} rows, not {rows:,}")
            print(f"   export csv --what {what}: {rows:,} rows in {run.wall:.1f} s, "
                  f"CPU {run.cpu:.1f} s, peak RSS {run.peak_mb:.0f} MB")  # fmt: skip
            figures += [
                Figure(BENCHMARK, f"export csv {what}, {who}", run.wall, "s", backend=backend,
                       note=f"{rows:,} rows, whole process; CPU {run.cpu:.1f} s"),
                Figure(BENCHMARK, f"export csv {what} peak memory, {who}", run.peak_mb, "MB",
                       backend=backend, note="streamed: should not grow with the rows"),
            ]  # fmt: skip
        feed = folder / "feed.atom"
        run = run_measured([*command, "atom", "--out", str(feed)], measured_env)
        entries = feed.read_text(encoding="utf-8").count("<entry>")
        if entries != ATOM_ENTRIES:
            raise SystemExit(f"export atom wrote {entries} entries, not {ATOM_ENTRIES}")
        print(f"   export atom (newest {ATOM_ENTRIES}): {run.wall:.2f} s, "
              f"peak RSS {run.peak_mb:.0f} MB")  # fmt: skip
        figures.append(
            Figure(BENCHMARK, f"export atom, {who}", run.wall, "s", backend=backend,
                   note=f"the newest {ATOM_ENTRIES} posts, whole process")
        )  # fmt: skip
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_suite_options(parser)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=20)
    args = parser.parse_args()
    if args.quick:
        args.channels, args.posts, args.scrapes = 20, 2_000, 5
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    emit(on_each_backend(args, bench_backend, BENCHMARK), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
