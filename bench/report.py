"""How long does the monthly report take on a year of data, and how much memory? On SQLite and
(when a server answers) PostgreSQL.

    .venv/bin/python bench/report.py [--quick] [--channels 1000] [--posts 100000] [--runs 5]
                                     [--postgres URL | --no-postgres]

For each backend it builds the real schema (`xensocial.migrate.upgrade`) and bulk-inserts, with
SQLAlchemy Core, a year of data (1 December 2025 to 30 November 2026) for `--channels` channels:

- `--posts` published posts (one item each, spread evenly over the year and the channels, a
  tenth of them announcements), each with 6 engagement samples (1 h, 6 h, 24 h, 3 d, 7 d, 30 d;
  one channel in four gives no impressions, like Mastodon);
- one follower count per channel per day (365 per channel);
- a slot claim per post, plus one skipped, failed or empty slot for every ten posts, and one
  failed delivery for every hundred;
- 3,000 press clips, 200 programme activities and a year of daily X counts for 3 competitors.

Then it runs `xensocial report monthly --month 2026-06` (and `quarterly --quarter 2026-Q2`) as
whole processes with a configuration listing every channel, and prints the wall time and the
peak resident memory of each (from `wait4`), against the targets: under 2 s and under 500 MB for
the monthly report. It also times `build_report` in this process, section by section, so a slow
query shows where it is. `--quick` uses 100 channels and 10,000 posts.

The PostgreSQL run uses a scratch database, dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import process_env, summary_ms, xensocial_command  # noqa: E402
from selection import scratch_postgres  # noqa: E402

from content_queue import make_engine  # noqa: E402
from content_queue.schema import (  # noqa: E402
    Activity,
    Clip,
    Delivery,
    EngagementSample,
    FollowerSample,
    Item,
    KeywordCount,
    SlotClaim,
)
from content_queue.urls import canonical_url  # noqa: E402
from xensocial.migrate import upgrade  # noqa: E402

START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 365
AGES = (3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)
ZONE = "Europe/Amsterdam"
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
COMPETITORS = {"xen": ["Xen", "XenServer", "Xen Project"], "kvm": ["KVM"], "docker": ["Docker"]}
THEMES = {"mobile": ["mobile", "automotive", "embedded"], "cloud": ["cloud"]}
WORDS = [
    "Xen",
    "KVM",
    "Docker",
    "cloud",
    "embedded",
    "release",
    "security",
    "community",
    "hypervisor",
    "summit",
]
_CHUNK = 20_000


def channel_names(channels: int) -> list[str]:
    return [f"ch-{n:04d}" for n in range(channels)]


def _insert(engine: Engine, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    """Insert `rows` in chunks, never holding more than one chunk; returns how many."""
    count, chunk = 0, []
    with engine.begin() as conn:
        for row in rows:
            chunk.append(row)
            if len(chunk) == _CHUNK:
                conn.execute(insert(table), chunk)
                count, chunk = count + len(chunk), []
        if chunk:
            conn.execute(insert(table), chunk)
            count += len(chunk)
    return count


def populate(engine: Engine, channels: int, posts: int, seed: int = 11) -> dict[str, int]:
    rng = random.Random(seed)
    names = channel_names(channels)
    step = timedelta(days=DAYS) / posts

    def published(i: int) -> datetime:
        return START + step * i

    def items() -> Iterator[dict[str, Any]]:
        for i in range(1, posts + 1):
            url = f"https://xenproject.org/bench/{i}"
            at = published(i) - timedelta(hours=2)
            yield {
                "id": i, "url": url, "canonical_url": canonical_url(url),
                "title": f"Post {i}: " + " ".join(rng.sample(WORDS, 3)),
                "text": "Notes on " + " ".join(rng.sample(WORDS, 4)),
                "category": "announcement" if i % 10 == 0 else rng.choice(("news", "event")),
                "tags": ["xen"], "source": "csv", "priority": 0, "not_before": None,
                "expires_at": None, "state": "approved", "created_at": at, "created_by": "bench",
                "updated_at": at,
            }  # fmt: skip

    def deliveries() -> Iterator[dict[str, Any]]:
        for i in range(1, posts + 1):
            at = published(i)
            failed = i % 100 == 0
            yield {
                "id": i, "item_id": i, "channel": names[i % channels],
                "state": "failed" if failed else "published",
                "idempotency_key": f"xs-{uuid.UUID(int=rng.getrandbits(128)).hex}",
                "attempts": 1, "last_error": "rejected: text too long" if failed else None,
                "remote_id": None if failed else f"r{i}",
                "remote_url": None if failed else f"https://net.example/{i}",
                "published_at": None if failed else at, "sort_priority": 0,
                "sort_created_at": at, "updated_at": at,
            }  # fmt: skip

    def samples() -> Iterator[dict[str, Any]]:
        for i in range(1, posts + 1):
            if i % 100 == 0:
                continue  # failed: never read
            channel = names[i % channels]
            likes = rng.randint(0, 40)
            for n, age in enumerate(AGES, start=1):
                yield {
                    "delivery_id": i, "channel": channel, "age_seconds": age,
                    "taken_at": published(i) + timedelta(seconds=age), "found": True,
                    "likes": likes * n, "reposts": likes * n // 4, "replies": n, "quotes": None,
                    "impressions": None if i % channels % 4 == 0 else likes * n * 30,
                    "clicks": n,
                }  # fmt: skip

    def followers() -> Iterator[dict[str, Any]]:
        for n, channel in enumerate(names):
            base = 500 + 37 * n
            for day in range(DAYS):
                yield {"channel": channel, "taken_at": START + timedelta(days=day, hours=6),
                       "followers": base + day * (n % 7)}  # fmt: skip

    def slots() -> Iterator[dict[str, Any]]:
        for i in range(1, posts + 1):
            at = published(i)
            yield {"channel": names[i % channels], "slot_at": at, "claimed_by": "bench",
                   "claimed_at": at, "outcome": "published", "item_id": i, "detail": None,
                   "finished_at": at}  # fmt: skip
            if i % 10 == 0:
                outcome, detail = rng.choice((
                    ("skipped", f"daily cap: 2 of max 2 already published on {at:%Y-%m-%d}"),
                    ("skipped", "paused: holiday"), ("empty", "no eligible item"),
                    ("failed", "rejected: item 1: text too long"),
                ))  # fmt: skip
                yield {"channel": names[i % channels], "slot_at": at + timedelta(minutes=1),
                       "claimed_by": "bench", "claimed_at": at, "outcome": outcome,
                       "item_id": None, "detail": detail, "finished_at": at}  # fmt: skip

    def clips() -> Iterator[dict[str, Any]]:
        for n in range(3000):
            url = f"https://news.example.com/{n}"
            yield {"url": url, "canonical_url": canonical_url(url),
                   "title": " ".join(rng.sample(WORDS, 4)), "summary": " ".join(rng.sample(WORDS, 5)),
                   "outlet": f"Outlet {n % 40}", "published_on": START.date() + timedelta(days=n % DAYS),
                   "topic": rng.choice(("", "virtualization", "cloud")), "source": "csv",
                   "created_at": START, "created_by": "bench"}  # fmt: skip

    def activities() -> Iterator[dict[str, Any]]:
        kinds = ("press-release", "interview", "analyst-briefing", "member-content", "event")
        for n in range(200):
            yield {"kind": kinds[n % 5], "happened_on": START.date() + timedelta(days=n * 365 // 200),
                   "title": f"Activity {n}", "url": None, "outlet": "", "note": "",
                   "source": "csv", "created_at": START, "created_by": "bench"}  # fmt: skip

    def counts() -> Iterator[dict[str, Any]]:
        for competitor in COMPETITORS:
            for day in range(DAYS):
                begin = START + timedelta(days=day)
                yield {"competitor": competitor, "network": "x", "period_start": begin,
                       "period_end": begin + timedelta(days=1), "posts": rng.randint(50, 500),
                       "taken_at": begin + timedelta(days=1, hours=1)}  # fmt: skip

    made = {}
    for name, table, rows in (
        ("items", Item, items()), ("deliveries", Delivery, deliveries()),
        ("engagement samples", EngagementSample, samples()),
        ("follower samples", FollowerSample, followers()), ("slot claims", SlotClaim, slots()),
        ("clips", Clip, clips()), ("activities", Activity, activities()),
        ("keyword counts", KeywordCount, counts()),
    ):  # fmt: skip
        made[name] = _insert(engine, table, rows)
    return made


def write_config(folder: Path, url: str, channels: int) -> Path:
    lines = [
        f'database_url = "{url}"', f'data_dir = "{folder}"', f'timezone = "{ZONE}"',
        "auto_migrate = false", "", "[report]", 'title = "Benchmark status"',
        "[report.competitors]", *(f"{k} = {v!r}".replace("'", '"') for k, v in COMPETITORS.items()),
        "[report.themes]", *(f"{k} = {v!r}".replace("'", '"') for k, v in THEMES.items()),
    ]  # fmt: skip
    for name in channel_names(channels):
        lines += ["", "[[channels]]", f'name = "{name}"', 'network = "outbox"',
                  'slots = ["09:30", "15:00"]', "[channels.options]", f'path = "{name}.jsonl"']  # fmt: skip
    path = folder / "bench.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system), peak resident MB (the child's own, from
    wait4) and stdout of one run. CPU time says what the command costs on a machine shared
    with other work, where the wall time also counts the waits for a core."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {err.strip()[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def time_sections(engine: Engine, channels: int) -> None:
    """build_report's sections one by one, in this process."""
    from xensocial.config_report import ReportConfig
    from xensocial.reporting import engagement, followers, posts, press, problems, programme
    from xensocial.reporting.build import begin_snapshot
    from xensocial.reporting.periods import parse_month
    from xensocial.reporting.themes import gather_themes

    period = parse_month("2026-06", ZONE)
    config = ReportConfig("Benchmark", "xen", {k: tuple(v) for k, v in COMPETITORS.items()},
                          {k: tuple(v) for k, v in THEMES.items()})  # fmt: skip
    names = channel_names(channels)
    with engine.connect() as conn:
        begin_snapshot(conn)  # as build_report does
        p = posts.gather_posts(conn, period, period.previous(), names)
        texts = press.clip_texts(conn, period)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("posts", lambda: posts.gather_posts(conn, period, period.previous(), names)),
            ("engagement", lambda: engagement.gather_engagement(conn, period, p)),
            ("followers", lambda: followers.gather_followers(conn, period, names)),
            ("clips", lambda: press.gather_clips(conn, period, period.year_before())),
            ("voice", lambda: press.gather_voice(conn, period, press.clip_texts(conn, period),
                                                 config.competitors, "xen")),
            ("themes", lambda: gather_themes(conn, period, texts, config.themes)),
            ("programme", lambda: programme.gather_programme(conn, period)),
            ("problems", lambda: problems.gather_problems(conn, period)),
        ]  # fmt: skip
        for name, step in steps:
            timings = []
            for _ in range(3):
                begin = time.perf_counter()
                step()
                timings.append(time.perf_counter() - begin)
            print(f"      {name:<11} {min(timings) * 1000:8.1f} ms (best of 3)")


def bench_backend(label: str, url: str, channels: int, posts: int, runs: int) -> None:
    print(f"\n== {label}: {url.split('@')[-1]}")
    engine = make_engine(url)
    upgrade(engine)
    begin = time.perf_counter()
    made = populate(engine, channels, posts)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # what autovacuum does soon after a bulk load
            conn.execute(text("ANALYZE"))
    print(f"   {channels:,} channels; " + ", ".join(f"{n:,} {k}" for k, n in made.items()))
    print(f"   (loaded in {time.perf_counter() - begin:.0f} s)")
    print("   build_report's sections for June 2026, in process:")
    time_sections(engine, channels)
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="xs-bench-report-") as tmp:
        config = write_config(Path(tmp), url, channels)
        env = process_env()
        env.pop("XENSOCIAL_DATABASE_URL", None)
        base = [*xensocial_command(), "--config", str(config), "report"]
        for args, target in (
            (["monthly", "--month", "2026-06"], "target < 2 s, < 500 MB"),
            (["monthly", "--month", "2026-06", "--format", "html"], ""),
            (["quarterly", "--quarter", "2026-Q2"], ""),
        ):
            run_measured(base + args, env)  # warm-up: bytecode cache, OS file cache
            results = [run_measured(base + args, env) for _ in range(runs)]
            walls, cpu = [r[0] for r in results], [r[1] for r in results]
            peak = max(r[2] for r in results)
            shown = " ".join(args)
            print(f"   report {shown:<38} {summary_ms(walls)}")
            print(f"   {'':<45} CPU median {statistics.median(cpu) * 1000:7.1f} ms   "
                  f"peak RSS {peak:6.1f} MB   load {os.getloadavg()[0]:.1f}   {target}")  # fmt: skip
        out = results[-1][3]
        print(f"   (the quarterly report: {len(out):,} characters of Markdown)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 channels, 10,000 posts")
    parser.add_argument("--postgres", default=os.environ.get("XENSOCIAL_BENCH_POSTGRES_URL"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.channels, args.posts, args.runs = 100, 10_000, 3
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {date.today():%Y-%m-%d}")
    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        bench_backend("SQLite", url, args.channels, args.posts, args.runs)
    if not args.no_postgres:
        with scratch_postgres(args.postgres or POSTGRES_DEFAULT) as pg:
            if pg is not None:
                bench_backend("PostgreSQL", pg, args.channels, args.posts, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
