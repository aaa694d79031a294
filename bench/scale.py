"""Scheduling at scale (issue 8): 1,000 channels and 1,000,000 items, most of them published.

    .venv/bin/python bench/scale.py [--channels N] [--items N] [--growth | --no-growth] [--fresh]
                                    [--calls N] [--runs N] [--quick] [--figures FILE]
                                    [--postgres URL | --no-postgres]

On SQLite and (when a server answers) PostgreSQL, with the queue of `bench/_dataset.py` (built
once and cached; `--fresh` rebuilds it):

- **choosing the next item for a slot**, as `Publisher.run_slot` chooses (`SlotChooser.choose`:
  `EditorialStore.choose` with the channel's rules from the configuration: pinned,
  announcement, reminders, the mix, evergreen items), over many calls on channels drawn at
  random, with a content mix and without: median and p95, target < 5 ms; and how many
  statements one choice runs;
- **`xensocial schedule --days 7 --json`** for every channel, as a whole process (wall time,
  median of `--runs` after a warm-up), target < 2 s; its output is checked complete (every
  channel, 14 slots each: two a day for seven days) and the script fails if it is not; the
  configuration's parse time (in process) is shown beside it, since every command pays it;
- **growth** (`--growth`, the default): the same two figures at 10, 100 and 1,000 channels
  with 1,000 items per channel (10,000 to 1,000,000 items: the queue grows with the
  channels), and at 10,000, 100,000 and 1,000,000 items on 1,000 channels (more history per
  channel), as context figures with their scale, for `bench/run`'s chart.

`--quick` (CI): 20 channels, 20,000 items, few calls and runs, growth at 5 and 20 channels and
2,000 and 20,000 items.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset import dataset_url, write_config  # noqa: E402
from _figures import Backend, Figure, add_suite_options, at_most, emit, on_each_backend  # noqa: E402
from _support import percentile, process_env, time_command, xensocial_command  # noqa: E402

BENCHMARK = "scale"
CHOOSE_MS = 5.0
SCHEDULE_S = 2.0
SLOTS_A_WEEK = 14  # every dataset channel has two slots a day, every day


@dataclass(frozen=True)
class Size:
    channels: int
    items: int

    @property
    def scale(self) -> dict[str, int]:
        return {"channels": self.channels, "items": self.items}

    def __str__(self) -> str:
        return f"{self.channels:,} channels, {self.items:,} items"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_suite_options(parser)
    parser.add_argument("--channels", type=int, help="channels (default 1000; quick: 20)")
    parser.add_argument("--items", type=int, help="items (default 1000000; quick: 20000)")
    parser.add_argument(
        "--growth",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure at smaller sizes (default: yes)",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the datasets")
    parser.add_argument("--calls", type=int, help="choices timed per case (default 400)")
    parser.add_argument("--runs", type=int, help="schedule runs after a warm-up (default 5)")
    args = parser.parse_args()
    quick = args.quick
    args.channels = args.channels or (20 if quick else 1000)
    args.items = args.items or (20_000 if quick else 1_000_000)
    args.calls = args.calls or (40 if quick else 400)
    args.runs = args.runs or (1 if quick else 5)
    return args


def growth_sizes(full: Size, quick: bool) -> list[Size]:
    """The sizes of the growth curves (the full size is measured anyway)."""
    if quick:
        return [Size(5, 5_000), Size(full.channels, 2_000)]
    per_channel = max(1, full.items // full.channels)
    channels = [c for c in (10, 100) if c < full.channels]
    items = [n for n in (10_000, 100_000) if n < full.items]
    return [Size(c, c * per_channel) for c in channels] + [Size(full.channels, n) for n in items]


@contextmanager
def counted(engine: Any) -> Iterator[list[str]]:
    """The statements `engine` runs inside the block (BEGIN, ROLLBACK and pings left out)."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "(")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def measure_choose(url: str, config: Path, calls: int) -> dict[str, Any]:
    """Median and p95 (ms) of `SlotChooser.choose`-equivalent choices, with and without a
    mix, and the statements per choice."""
    from content_queue import make_engine
    from content_queue.editorial_store import EditorialStore
    from xensocial.config import load_settings
    from xensocial.config.editorial import rules_for

    settings = load_settings(config)
    engine = make_engine(url)
    store = EditorialStore(engine)
    rng = random.Random(8)
    out: dict[str, Any] = {}
    for label, with_mix in (("mix", True), ("plain", False)):
        channels = [c for c in settings.channels if (c.mix is not None) == with_mix]
        drawn = [rng.choice(channels) for _ in range(calls + 10)]
        cases = [(c.name, rules_for(settings.editorial, c.mix)) for c in drawn]
        found = 0
        times = []
        for n, (name, rules) in enumerate(cases):
            now = datetime.now(UTC)
            start = time.perf_counter()
            choice = store.choose(name, now, rules)
            elapsed = time.perf_counter() - start
            found += choice is not None
            if n >= 10:  # the first few warm the connection pool and the statement cache
                times.append(elapsed * 1000)
        if found == 0:
            raise SystemExit(f"no {label} choice found anything: the dataset at {url} is broken")
        with counted(engine) as seen:
            for name, rules in cases[:20]:
                store.choose(name, datetime.now(UTC), rules)
        out[label] = {
            "median": statistics.median(times),
            "p95": percentile(times, 0.95),
            "statements": len(seen) / 20,
            "found": found / len(cases),
        }
        print(
            f"   choose ({'with a mix' if with_mix else 'no mix'}): median "
            f"{out[label]['median']:.2f} ms, p95 {out[label]['p95']:.2f} ms, "
            f"{out[label]['statements']:.1f} statements, something to post in "
            f"{out[label]['found']:.0%} (n={len(times)})"
        )
    engine.dispose()
    return out


def measure_schedule(config: Path, size: Size, runs: int) -> dict[str, float]:
    """Wall seconds of `schedule --days 7 --json` (median of `runs`), its output checked, and
    the configuration's parse time in process."""
    argv = [*xensocial_command(), "--config", str(config), "schedule", "--days", "7", "--json"]
    times = time_command(argv, runs)
    check_schedule(argv, size)
    from xensocial.config import load_settings

    start = time.perf_counter()
    load_settings(config)
    parse = time.perf_counter() - start
    print(
        f"   schedule --days 7 --json: median {statistics.median(times):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); config parse {parse * 1000:.0f} ms"
    )
    return {"wall": statistics.median(times), "parse_ms": parse * 1000}


def check_schedule(argv: list[str], size: Size) -> None:
    """Fail loudly unless every channel is there with its 14 slots."""
    import subprocess

    result = subprocess.run(argv, env=process_env(), capture_output=True, text=True, check=True)
    plans = json.loads(result.stdout)
    slots = [sum(1 for s in p["slots"] if not s["pinned"]) for p in plans]
    if len(plans) != size.channels or any(n != SLOTS_A_WEEK for n in slots):
        short = [p["channel"] for p, n in zip(plans, slots, strict=True) if n != SLOTS_A_WEEK]
        raise SystemExit(
            f"schedule is incomplete: {len(plans)} channels of {size.channels}, "
            f"channels without {SLOTS_A_WEEK} slots: {short[:5]}"
        )
    taken = sum(1 for p in plans for s in p["slots"] if s["item"] is not None)
    print(f"   ... {len(plans):,} channels x {SLOTS_A_WEEK} slots, {taken:,} slots take an item")


def measure(
    backend: Backend, size: Size, args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, float]]:
    print(f"== {backend.name}: {size}")
    url = dataset_url(
        backend.name, size.channels, size.items, admin_url=backend.admin_url, fresh=args.fresh
    )
    config = write_config(backend.folder / f"{size.channels}-{size.items}", size.channels, url)
    return measure_choose(url, config, args.calls), measure_schedule(config, size, args.runs)


def bench_backend(backend: Backend, args: argparse.Namespace) -> list[Figure]:
    """The figures at the full size, then (`--growth`) along the smaller sizes."""
    full = Size(args.channels, args.items)
    choose, schedule = measure(backend, full, args)
    figures = figures_for(backend.name, full, choose, schedule)
    figures += growth_figures(backend.name, full, choose, schedule)
    if args.growth:
        for size in growth_sizes(full, args.quick):
            choose, schedule = measure(backend, size, args)
            figures += growth_figures(backend.name, size, choose, schedule)
    return figures


def figures_for(
    backend: str, size: Size, choose: dict[str, Any], schedule: dict[str, float]
) -> list[Figure]:
    note = str(size)
    return [
        at_most(BENCHMARK, "choose the next item, with a content mix (median)",
                choose["mix"]["median"], "ms", CHOOSE_MS, backend=backend, note=note),
        at_most(BENCHMARK, "choose the next item, without a mix (median)",
                choose["plain"]["median"], "ms", CHOOSE_MS, backend=backend, note=note),
        Figure(BENCHMARK, "choose, with a mix (p95)", choose["mix"]["p95"], "ms",
               backend=backend, note=note),
        Figure(BENCHMARK, "choose: statements per choice (with a mix)",
               choose["mix"]["statements"], "", backend=backend, note=note),
        at_most(BENCHMARK, "schedule --days 7 --json, every channel",
                schedule["wall"], "s", SCHEDULE_S, backend=backend,
                note=f"{note}; whole process, median"),
        Figure(BENCHMARK, "schedule: configuration parse (in process)",
               schedule["parse_ms"], "ms", backend=backend, note=note),
    ]  # fmt: skip


def growth_figures(
    backend: str, size: Size, choose: dict[str, Any], schedule: dict[str, float]
) -> list[Figure]:
    return [
        Figure(BENCHMARK, "growth: choose with a mix (median)", choose["mix"]["median"], "ms",
               backend=backend, note=str(size), scale=size.scale),
        Figure(BENCHMARK, "growth: schedule --days 7 --json", schedule["wall"], "s",
               backend=backend, note=str(size), scale=size.scale),
    ]  # fmt: skip


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    figures = on_each_backend(args, bench_backend, BENCHMARK)
    print(f"   ({time.perf_counter() - started:.0f} s in all)")
    emit(figures, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
