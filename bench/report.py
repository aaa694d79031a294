"""How long does the monthly report take on a year of data for 1,000 channels, how much memory,
and does it grow with the history kept? On SQLite and (when a server answers) PostgreSQL.

    .venv/bin/python bench/report.py [--quick] [--channels 1000] [--posts 100000] [--runs 5]
                                     [--years 1,2,4] [--figures FILE]
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

Then it runs `xensocial report monthly --month 2026-06` as a whole process (after a warm-up,
`--runs` times, with a configuration of the 1,000 channels as `bench/config_load.py` writes
them) and reports the median wall time (target < 2 s), the CPU time and the peak resident memory
(target < 150 MB; issue 5 asked for < 500 MB), and `report quarterly` once more as context. It
checks the report's numbers against the database (posts of the month, channels listed, posts
read), and exits 1 when they differ: a fast report that is wrong is broken.

History: the same month's report is then timed in process (`build_report`, the part that reads
the database) with the history growing, older years added one by one (`--years 1,2,4`: one, two
and four years of the same data kept): each figure has a `scale` of the posts kept, and the
curve should be flat (every query reads the month through an index, never the history).

`--quick`: 20 channels, 2,000 posts a year, 3 runs, 1 and 2 years (well under a minute).
The PostgreSQL run uses a scratch database, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Backend, Figure, add_suite_options, at_most, emit, on_each_backend  # noqa: E402
from _process import run_measured  # noqa: E402
from _support import process_env, xensocial_command  # noqa: E402
from config_load import channel_names, write_config  # noqa: E402

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

BENCHMARK = "report"
START = datetime(2025, 12, 1, tzinfo=UTC)  # the newest year of data starts here
DAYS = 365
MONTH, QUARTER = "2026-06", "2026-Q2"
AGES = (3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)
ZONE = "Europe/Amsterdam"
COMPETITORS = {"xen": ["Xen", "XenServer", "Xen Project"], "kvm": ["KVM"], "docker": ["Docker"]}
THEMES = {"mobile": ["mobile", "automotive", "embedded"], "cloud": ["cloud"]}
WORDS = ["Xen", "KVM", "Docker", "cloud", "embedded", "release", "security", "community",
         "hypervisor", "summit"]  # fmt: skip
_CHUNK = 20_000


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


def populate(engine: Engine, channels: int, posts: int, year: int = 0) -> dict[str, int]:
    """One year of data: `year` 0 is the newest (from START), 1 the year before it, and so on;
    each year's rows have their own ids, URLs and times, so years can be added one by one."""
    rng = random.Random(11 + year)
    names = channel_names(channels)
    begin = START - timedelta(days=DAYS * year)
    step = timedelta(days=DAYS) / posts
    first = year * posts  # ids of this year: first + 1 ... first + posts

    def published(i: int) -> datetime:
        return begin + step * (i - first)

    def words(i: int) -> tuple[str, str]:
        """Item `i`'s title and text (its own generator: a delivery's record repeats them)."""
        own = random.Random(f"{year}:{i}")
        return f"Post {i}: " + " ".join(own.sample(WORDS, 3)), "Notes on " + " ".join(
            own.sample(WORDS, 4)
        )

    def items() -> Iterator[dict[str, Any]]:
        for i in range(first + 1, first + posts + 1):
            url = f"https://xenproject.org/bench/{i}"
            at = published(i) - timedelta(hours=2)
            title, text = words(i)
            yield {
                "id": i, "url": url, "canonical_url": canonical_url(url),
                "title": title,
                "text": text,
                "category": "announcement" if i % 10 == 0 else rng.choice(("news", "event")),
                "tags": ["xen"], "source": "csv", "priority": 0, "not_before": None,
                "expires_at": None, "state": "approved", "created_at": at, "created_by": "bench",
                "updated_at": at,
            }  # fmt: skip

    def deliveries() -> Iterator[dict[str, Any]]:
        for i in range(first + 1, first + posts + 1):
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
                **posted(i, failed),
            }  # fmt: skip

    def posted(i: int, failed: bool) -> dict[str, Any]:
        """A published delivery's record of what went out (migration 0008); a failed one has
        none (every row of one insert has the same keys)."""
        if failed:
            return dict.fromkeys(("posted_title", "posted_text", "posted_url",
                                  "posted_canonical_url", "posted_tags"))  # fmt: skip
        title, text = words(i)
        url = f"https://xenproject.org/bench/{i}?utm_source=bench"
        return {"posted_title": title, "posted_text": f"{text}\n\n{url}\n\n#xen",
                "posted_url": url, "posted_canonical_url": canonical_url(url),
                "posted_tags": ["xen"]}  # fmt: skip

    def samples() -> Iterator[dict[str, Any]]:
        for i in range(first + 1, first + posts + 1):
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
                yield {"channel": channel, "taken_at": begin + timedelta(days=day, hours=6),
                       "followers": base + day * (n % 7)}  # fmt: skip

    def slots() -> Iterator[dict[str, Any]]:
        for i in range(first + 1, first + posts + 1):
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
            url = f"https://news.example.com/{year}/{n}"
            yield {"url": url, "canonical_url": canonical_url(url),
                   "title": " ".join(rng.sample(WORDS, 4)), "summary": " ".join(rng.sample(WORDS, 5)),
                   "outlet": f"Outlet {n % 40}", "published_on": begin.date() + timedelta(days=n % DAYS),
                   "topic": rng.choice(("", "virtualization", "cloud")), "source": "csv",
                   "created_at": begin, "created_by": "bench"}  # fmt: skip

    def activities() -> Iterator[dict[str, Any]]:
        kinds = ("press-release", "interview", "analyst-briefing", "member-content", "event")
        for n in range(200):
            yield {"kind": kinds[n % 5], "happened_on": begin.date() + timedelta(days=n * 365 // 200),
                   "title": f"Activity {year}-{n}", "url": None, "outlet": "", "note": "",
                   "source": "csv", "created_at": begin, "created_by": "bench"}  # fmt: skip

    def counts() -> Iterator[dict[str, Any]]:
        for competitor in COMPETITORS:
            for day in range(DAYS):
                since = begin + timedelta(days=day)
                yield {"competitor": competitor, "network": "x", "period_start": since,
                       "period_end": since + timedelta(days=1), "posts": rng.randint(50, 500),
                       "taken_at": since + timedelta(days=1, hours=1)}  # fmt: skip

    made = {}
    for name, table, rows in (
        ("items", Item, items()), ("deliveries", Delivery, deliveries()),
        ("engagement samples", EngagementSample, samples()),
        ("follower samples", FollowerSample, followers()), ("slot claims", SlotClaim, slots()),
        ("clips", Clip, clips()), ("activities", Activity, activities()),
        ("keyword counts", KeywordCount, counts()),
    ):  # fmt: skip
        made[name] = _insert(engine, table, rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # what autovacuum does soon after a bulk load
            conn.execute(text("ANALYZE"))
    return made


def report_config(folder: Path, url: str, channels: int) -> Path:
    def table(name: str, entries: dict[str, list[str]]) -> list[str]:
        return [f"[report.{name}]", *(f"{k} = {json.dumps(v)}" for k, v in entries.items())]

    header = [
        f'database_url = "{url}"', f'data_dir = "{folder}"', f'timezone = "{ZONE}"',
        "auto_migrate = false", "", "[report]", 'title = "Benchmark status"',
        *table("competitors", COMPETITORS), *table("themes", THEMES),
    ]  # fmt: skip
    return write_config(folder, channels, "\n".join(header))


def check_report(path: Path, engine: Engine, channels: int) -> str:
    """Compare the JSON report at `path` with the database; SystemExit when a number is wrong."""
    from xensocial.reporting.periods import parse_month

    report = json.loads(path.read_text(encoding="utf-8"))
    period = parse_month(MONTH, ZONE)
    in_month = (
        (Delivery.state == "published")
        & (Delivery.published_at >= period.start)
        & (Delivery.published_at < period.end)
    )
    with engine.connect() as conn:
        posts = conn.execute(select(func.count()).where(in_month)).scalar_one()
        read = conn.execute(
            select(func.count(func.distinct(Delivery.id)))
            .join(EngagementSample, EngagementSample.delivery_id == Delivery.id)
            .where(in_month, EngagementSample.found.is_(True))
        ).scalar_one()
    found = (
        report["posts"]["total"],
        len(report["posts"]["by_channel"]),
        report["engagement"]["total"]["posts_read"],
        len(report["followers"]["rows"]),
    )
    if found != (posts, channels, read, channels):
        raise SystemExit(
            f"the report is wrong: (posts, channels listed, posts read, follower rows) = {found}, "
            f"the database says {(posts, channels, read, channels)}"
        )
    return f"{posts:,} posts in {MONTH} on {channels:,} channels, {read:,} read: as in the database"


def time_sections(engine: Engine, channels: int) -> float:
    """build_report's sections one by one in this process (printed), and the whole of
    build_report (the median of 5, returned in ms)."""
    from xensocial.config.report import ReportConfig
    from xensocial.reporting import engagement, followers, posts, press, problems, programme
    from xensocial.reporting.build import begin_snapshot, build_report
    from xensocial.reporting.channels import channels_with_rows
    from xensocial.reporting.periods import parse_month
    from xensocial.reporting.themes import gather_themes
    from xensocial.reporting.trends import gather_trends

    period = parse_month(MONTH, ZONE)
    config = ReportConfig("Benchmark", "xen", {k: tuple(v) for k, v in COMPETITORS.items()},
                          {k: tuple(v) for k, v in THEMES.items()})  # fmt: skip
    names = channel_names(channels)
    previous = period.previous()
    with engine.connect() as conn:
        begin_snapshot(conn)  # as build_report does
        every = channels_with_rows(conn, Delivery.channel)
        p = posts.gather_posts(conn, period, previous, names, every)
        month = posts.posting_channels(p, every)
        texts = press.clip_texts(conn, period)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("channels", lambda: channels_with_rows(conn, Delivery.channel)),
            ("posts", lambda: posts.gather_posts(conn, period, previous, names, every)),
            ("engagement", lambda: engagement.gather_engagement(conn, period, p, month)),
            ("followers", lambda: followers.gather_followers(conn, period, names)),
            ("clips", lambda: press.gather_clips(conn, period, period.year_before())),
            ("voice", lambda: press.gather_voice(conn, period, press.clip_texts(conn, period),
                                                 config.competitors, "xen")),
            ("themes", lambda: gather_themes(conn, period, texts, config.themes, month)),
            ("programme", lambda: programme.gather_programme(conn, period, month)),
            ("problems", lambda: problems.gather_problems(conn, period, every)),
            ("trends", lambda: gather_trends(conn, period, every, config.competitors, "xen")),
        ]  # fmt: skip
        shown = []
        for name, step in steps:
            best = min(_timed(step) for _ in range(3))
            shown.append(f"{name} {best * 1000:.1f}")
    print(f"      sections (ms, best of 3): {', '.join(shown)}")
    now = datetime.now(UTC)
    whole = [_timed(lambda: build_report(engine, period, config, names, now=now)) for _ in range(6)]
    return statistics.median(whole[1:]) * 1000  # the first fills SQLAlchemy's statement cache


def _timed(step: Callable[[], object]) -> float:
    begin = time.perf_counter()
    step()
    return time.perf_counter() - begin


def bench_backend(db: Backend, args: argparse.Namespace) -> list[Figure]:
    backend, url = db.name, db.url
    print(f"\n== {db.label}: {url.split('@')[-1]}")
    engine = make_engine(url)
    upgrade(engine)
    begin = time.perf_counter()
    made = populate(engine, args.channels, args.posts)
    print(f"   {args.channels:,} channels; " + ", ".join(f"{n:,} {k}" for k, n in made.items()))
    print(f"   (loaded in {time.perf_counter() - begin:.0f} s)")
    figures = []
    with tempfile.TemporaryDirectory(prefix="xs-bench-report-") as tmp:
        folder = Path(tmp)
        config = report_config(folder, url, args.channels)
        env = process_env()
        env.pop("XENSOCIAL_DATABASE_URL", None)
        base = [*xensocial_command(), "--config", str(config), "report"]
        monthly = [*base, "monthly", "--month", MONTH, "--out", str(folder / "june.md")]
        run_measured(monthly, env)  # warm-up: bytecode cache, OS file cache
        runs = [run_measured(monthly, env) for _ in range(args.runs)]
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        peak = max(r.peak_mb for r in runs)
        load = os.getloadavg()[0]
        print(f"   report monthly --month {MONTH}: median {wall * 1000:.0f} ms (min "
              f"{min(r.wall for r in runs) * 1000:.0f}), CPU {cpu * 1000:.0f} ms, peak RSS "
              f"{peak:.0f} MB, load {load:.1f}")  # fmt: skip
        quarterly = [*base, "quarterly", "--quarter", QUARTER, "--out", str(folder / "q2.md")]
        quarter = statistics.median(run_measured(quarterly, env).wall for _ in range(3))
        print(f"   report quarterly --quarter {QUARTER}: median {quarter * 1000:.0f} ms")
        check = folder / "june.json"
        run_measured([*base, "monthly", "--month", MONTH, "--format", "json", "--out", str(check)],
                     env)  # fmt: skip
        print(f"   checked: {check_report(check, engine, args.channels)}")
    note = (f"{args.channels:,} channels, {args.posts:,} posts/year; median of {args.runs}; "
            f"load {load:.1f}")  # fmt: skip
    who = f"{args.channels:,} channels"
    figures += [
        at_most(BENCHMARK, f"report monthly, {who}", wall, "s", 2.0, backend=backend, note=note),
        at_most(BENCHMARK, f"report monthly peak memory, {who}", peak, "MB", 150.0,
                backend=backend, note="peak RSS of the whole process; issue 5 asked < 500 MB"),
        Figure(BENCHMARK, f"report monthly CPU time, {who}", cpu, "s", backend=backend,
               note="user + system of the process (the server's not counted)"),
        Figure(BENCHMARK, f"report quarterly, {who}", quarter, "s", backend=backend,
               note="median of 3"),
    ]  # fmt: skip
    print(f"   the report of {MONTH} in process (build_report) as the history grows:")
    kept = 0
    for years in args.years:
        while kept < years:
            if kept:  # year 0 is loaded above
                populate(engine, args.channels, args.posts, year=kept)
            kept += 1
        ms = time_sections(engine, args.channels)
        posts = args.posts * years
        print(f"   {years} year(s) kept ({posts:,} posts): build_report median {ms:.1f} ms")
        figures.append(
            Figure(
                BENCHMARK,
                f"build_report, {posts:,} posts kept",
                ms,
                "ms",
                backend=backend,
                note=f"{years} year(s) of history; the same month; median of 5 in process",
                scale={"channels": args.channels, "items": posts},
            )  # fmt: skip
        )
    engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_suite_options(parser)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=100_000, help="posts per year of data")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--years", default="1,2,4", help="history sizes to time, in years")
    args = parser.parse_args()
    if args.quick:
        args.channels, args.posts, args.runs, args.years = 20, 2_000, 3, "1,2"
    args.years = sorted({int(y) for y in args.years.split(",")})
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {date.today():%Y-%m-%d}")
    emit(on_each_backend(args, bench_backend, BENCHMARK), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
