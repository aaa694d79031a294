"""Are the exports cheap on a big database? A year of 1,000 channels, on SQLite and PostgreSQL.

    .venv/bin/python bench/exports.py [--channels N] [--posts N] [--scrapes N]
                                      [--postgres URL | --no-postgres]

For each backend it builds the real schema, bulk-inserts N posts over the channels (2% of them
failed, with the publisher's error texts), 6 engagement samples per post, a daily follower
count per channel for a year and 50 feeds, then reports:

- one `/metrics` scrape (`Exports.metrics`: every query of the collector, the next slot of every
  channel, the exposition), median and p95; it runs on every scrape, so it should stay well
  under Prometheus' usual 10 s timeout at any size: target < 1 s;
- `xensocial export csv --what engagement` of every sample, as a whole process: wall time and
  peak memory (the rows are streamed, so memory should not grow with them);
- `xensocial export atom` (the newest 50 posts) as a whole process.

The PostgreSQL run uses a scratch database, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import process_env, summary_ms, time_call, xensocial_command  # noqa: E402
from selection import POSTGRES_DEFAULT, scratch_postgres  # noqa: E402

from content_queue import make_engine  # noqa: E402
from content_queue.schema import (  # noqa: E402
    Delivery,
    EngagementSample,
    Feed,
    FollowerSample,
    Item,
)
from xensocial.config import load_settings  # noqa: E402
from xensocial.migrate import upgrade  # noqa: E402
from xensocial.reporting.http import Exports  # noqa: E402

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
ERRORS = (
    "rejected: posting to Mastodon: 612 characters, the instance allows 500",
    "rejected: posting: X refused a duplicate (403): Status is a duplicate.",
    "cannot render: unknown placeholder {nope}",
    "rejected: the instance refused the status (422)",
)


def channel_names(n: int) -> list[str]:
    return [f"ch-{i:04d}" for i in range(n)]


def write_config(folder: Path, channels: list[str]) -> Path:
    """A configuration of `channels` outbox channels, half on slots and half on a cron."""
    tables = []
    for i, name in enumerate(channels):
        schedule = 'slots = ["09:30", "15:00"]' if i % 2 else 'cron = "0 */10 * * * *"'
        tables.append(
            f'[[channels]]\nname = "{name}"\nnetwork = "outbox"\n{schedule}\n'
            f'timezone = "Europe/Amsterdam"\n[channels.options]\npath = "{name}.jsonl"\n'
        )
    path = folder / "bench.toml"
    path.write_text('identity = "bench"\n\n' + "\n".join(tables), encoding="utf-8")
    return path


def chunked(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 10_000):
        conn.execute(insert(table), rows[start : start + 10_000])


def populate(url: str, channels: list[str], posts: int, seed: int = 11) -> dict[str, int]:
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    start = NOW - timedelta(days=365)
    items, deliveries, samples = [], [], []
    for i in range(1, posts + 1):
        at = start + timedelta(seconds=i * 365 * 86400 // posts)
        items.append(
            {
                "id": i,
                "url": f"https://example.org/{i}",
                "canonical_url": f"https://example.org/{i}",
                "title": f"Post {i}",
                "text": "Something worth reading",
                "category": "news",
                "tags": ["xen"],
                "state": "approved",
                "created_at": at,
                "updated_at": at,
            }
        )
        failed = rng.random() < 0.02
        deliveries.append(
            {
                "id": i,
                "item_id": i,
                "channel": channels[i % len(channels)],
                "state": "failed" if failed else "published",
                "idempotency_key": f"xs-bench-{i}",
                "last_error": rng.choice(ERRORS) if failed else None,
                "remote_id": None if failed else f"r{i}",
                "remote_url": None if failed else f"https://social.example/{i}",
                "published_at": None if failed else at,
                "sort_created_at": at,
                "updated_at": at,
            }
        )
        if not failed:
            for age in (3600, 86400, 7 * 86400, 30 * 86400, 60 * 86400, 90 * 86400):
                samples.append(
                    {
                        "delivery_id": i,
                        "channel": channels[i % len(channels)],
                        "age_seconds": age,
                        "taken_at": at + timedelta(seconds=age),
                        "found": True,
                        "likes": rng.randint(0, 50),
                        "reposts": rng.randint(0, 10),
                        "replies": None,
                        "impressions": rng.choice((None, rng.randint(0, 5000))),
                    }
                )
    followers = [
        {"channel": c, "taken_at": start + timedelta(days=d), "followers": 1000 + d}
        for c in channels
        for d in range(365)
    ]
    feeds = [
        {
            "name": f"feed-{i}",
            "url": f"https://blog.example/{i}/feed",
            "status": "ok",
            "created_at": NOW,
        }
        for i in range(50)
    ]
    with engine.begin() as conn:
        for table, rows in (
            (Item, items),
            (Delivery, deliveries),
            (EngagementSample, samples),
            (FollowerSample, followers),
            (Feed, feeds),
        ):
            chunked(conn, table, rows)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"posts": posts, "engagement samples": len(samples), "follower samples": len(followers)}


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process (measured alone in a fresh child)."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True); "
        "assert r.returncode == 0, r.stderr.decode()[-500:]; "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv], env=process_env(env), capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-800:])
    wall, kib = out.stdout.split()
    return float(wall), int(kib) / 1024


def bench_backend(label: str, url: str, args: argparse.Namespace) -> None:
    print(f"\n== {label}: {url.split('@')[-1]}")
    channels = channel_names(args.channels)
    started = time.perf_counter()
    counts = populate(url, channels, args.posts)
    print(
        "   " + ", ".join(f"{n:,} {what}" for what, n in counts.items()),
        f"on {len(channels):,} channels (built in {time.perf_counter() - started:.0f} s)",
    )
    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        config = write_config(Path(tmp), channels)
        env = {"XENSOCIAL_DATABASE_URL": url, "XENSOCIAL_DATA_DIR": tmp}
        settings = load_settings(config, env=env)
        exports = Exports(settings, clock=lambda: NOW, scheduler_problem=lambda: None)
        body = exports.metrics("")[2]
        times = time_call(lambda: exports.metrics(""), args.scrapes)
        exports.close()
        print(
            f"   /metrics scrape ({len(body) / 1024:,.0f} KiB)    {summary_ms(times)}   target < 1 s"
        )
        command = [*xensocial_command(), "--config", str(config), "export"]
        run_measured([*command, "atom"], env)  # warm-up: compiles the bytecode cache
        out = Path(tmp) / "engagement.csv"
        wall, peak = run_measured([*command, "csv", "--what", "engagement", "--out", str(out)], env)
        rows = out.read_text(encoding="utf-8").count("\n") - 1
        print(
            f"   export csv --what engagement: {rows:,} rows in {wall:.1f} s, peak RSS {peak:.0f} MiB"
        )
        wall, peak = run_measured([*command, "csv", "--what", "followers", "--out", str(out)], env)
        print(f"   export csv --what followers:  {wall:.1f} s, peak RSS {peak:.0f} MiB")
        wall, peak = run_measured([*command, "atom", "--out", str(Path(tmp) / "feed.atom")], env)
        print(f"   export atom (newest 50):      {wall:.2f} s, peak RSS {peak:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("XENSOCIAL_BENCH_POSTGRES_URL"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        bench_backend("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if not args.no_postgres:
        with scratch_postgres(args.postgres or POSTGRES_DEFAULT) as url:
            if url is not None:
                bench_backend("PostgreSQL", url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
