"""The CLI at scale: `xensocial --help`, `queue list`, `queue show` and `queue add` as a person
runs them, on the 1,000-channel / 1,000,000-item queue, on SQLite and PostgreSQL (issue 8).

    .venv/bin/python bench/cli_imports.py [--runs N] [--channels C] [--items N] [--no-growth]
                                          [--quick] [--figures FILE] [--postgres URL | --no-postgres]

Targets: `xensocial --help` within 2.5x of `python -c "import click"` (the floor of any click
program); `queue list` and `queue add URL --title T` under 300 ms wall on that database.

Every command is a whole process, timed start to exit (wall) with its CPU time beside it, run
as a new user's would be: from the console script, with bytecode cached as an installed
package's is (`_support.process_env`), after one warm-up run. The database and a configuration
of the same channels come from `_dataset` (built once, then cached). `queue add` is timed to
one project's 4 channels (4 networks) and to every channel (the default when no --channel is
given: 1,000 deliveries); every item it adds is deleted again at the end, so the cached
database is left as it was. `queue add` is given --title, as without it the page is fetched.

Growth (context figures with `scale`, drawn by `bench/run --chart`): `queue list` and `queue
add` at 10,000, 100,000 and 1,000,000 items (1,000 channels), and at 10, 100 and 1,000 channels
(100,000 items). `--quick`: 20 channels and 20,000 items, growth at 5,000 and 20,000 items.

It also checks what the commands import (`python -X importtime`): `--help`, `queue list` and
`queue show` import no network client, scheduler or feed library, and no SQLAlchemy (on
PostgreSQL not its ORM: the configuration still reads a PostgreSQL URL with SQLAlchemy's
`make_url`); `queue add` not the ORM either (it writes through `content_queue.fastwrite`). It
exits 1 when one of them does, or when a command fails: a broken light path, not a slow one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset import channel_names, dataset_url, write_config  # noqa: E402
from _figures import Figure, add_suite_options, at_most, emit, postgres_admin_url  # noqa: E402
from _process import run_measured  # noqa: E402
from _support import imported_modules, percentile, process_env, xensocial_command  # noqa: E402

BENCH = "cli_imports"
TARGET_MS = 300.0
HELP_RATIO = 2.5
# Never on the light paths: network clients, the scheduler, feed parsing.
HEAVY = ("tweepy", "facebook", "mastodon", "atproto", "requests", "feedparser", "apscheduler",
         "httpx")  # fmt: skip
NOT_FOR_ADD = ("feedparser", "apscheduler", "httpx", "sqlalchemy.orm")


@dataclass(frozen=True)
class Timed:
    """The runs of one command: wall and CPU seconds."""

    wall: list[float]
    cpu: list[float]

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000

    def line(self, label: str) -> str:
        ms = [w * 1000 for w in self.wall]
        return (
            f"   {label:<54} median {statistics.median(ms):7.1f} ms   p95 "
            f"{percentile(ms, 0.95):7.1f} ms   min {min(ms):7.1f} ms   CPU {self.cpu_ms:6.1f} ms"
            f"   (n={len(ms)})"
        )


def measure(argv_for: Callable[[int], Sequence[str]], runs: int, env: dict[str, str]) -> Timed:
    """Run the command `argv_for(n)` for n = 0 (the warm-up, which fills the bytecode cache)
    to `runs`; fails loudly (SystemExit) if a run fails."""
    wall, cpu = [], []
    for n in range(runs + 1):
        got = run_measured(argv_for(n), env)
        if n:
            wall.append(got.wall)
            cpu.append(got.cpu)
    return Timed(wall, cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs of each command (default 11; quick 2)")
    parser.add_argument("--channels", type=int, help="default 1000 (quick 20)")
    parser.add_argument("--items", type=int, help="default 1000000 (quick 20000)")
    parser.add_argument("--no-growth", action="store_true", help="skip the growth figures")
    add_suite_options(parser)
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 11)
    channels = args.channels or (20 if args.quick else 1000)
    items = args.items or (20_000 if args.quick else 1_000_000)
    started = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {_load()}, {runs} runs")

    figures: list[Figure] = []
    broken: list[str] = []
    figures += help_figures(runs, broken)
    admin = postgres_admin_url(args)
    backends = ["sqlite"] + (["postgresql"] if admin else [])
    for backend in backends:
        print(f"\n== {backend}: {channels:,} channels, {items:,} items")
        url = dataset_url(backend, channels, items, admin_url=admin)
        figures += backend_figures(backend, url, channels, items, runs, broken)
    if not args.no_growth:
        for backend in backends:
            figures += growth_figures(backend, admin, args.quick)
    print(f"\n   ({time.perf_counter() - started:,.0f} s, load {_load()})")
    emit(figures, args)
    for problem in broken:
        print(f"BROKEN: {problem}")
    return 1 if broken else 0


def help_figures(runs: int, broken: list[str]) -> list[Figure]:
    """`python -c "import click"` (the floor), `xensocial --help`, and their ratio."""
    env = _env()
    click_floor = measure(_same([sys.executable, "-c", "import click"]), runs, env)
    helped = measure(_same([*xensocial_command(), "--help"]), runs, env)
    print(click_floor.line('python -c "import click"'))
    print(helped.line("xensocial --help"))
    _check_imports(["--help"], env, HEAVY + ("sqlalchemy",), broken)
    ratio = helped.wall_ms / click_floor.wall_ms
    return [
        Figure(BENCH, 'python -c "import click"', click_floor.wall_ms, "ms",
               note=f"median of {runs}; CPU {click_floor.cpu_ms:.0f} ms"),
        Figure(BENCH, "xensocial --help", helped.wall_ms, "ms",
               note=f"median of {runs}; CPU {helped.cpu_ms:.0f} ms"),
        at_most(BENCH, "xensocial --help / import click", ratio, "x", HELP_RATIO,
                note=f"CPU ratio {helped.cpu_ms / click_floor.cpu_ms:.2f}x"),
    ]  # fmt: skip


def backend_figures(
    backend: str, url: str, channels: int, items: int, runs: int, broken: list[str]
) -> list[Figure]:
    """The commands of the targets on one backend, at full size."""
    out: list[Figure] = []
    sizes = f"{channels:,} channels, {items:,} items"
    with tempfile.TemporaryDirectory(prefix="xs-bench-cli-") as tmp:
        config = write_config(Path(tmp), channels, url)
        cli = [*xensocial_command(), "--config", str(config)]
        env = _env()
        newest = _newest_item(url)
        project = channel_names(channels)[:4]  # one project's channels: 4 networks
        light = ("sqlalchemy",) if backend == "sqlite" else ("sqlalchemy.orm",)
        seen = {
            label: _check_imports(["--config", str(config), *argv], env, HEAVY + light, broken)
            for label, argv in (
                ("list", ["queue", "list"]),
                ("show", ["queue", "show", str(newest)]),
            )
        }
        _load_settings_figure(config, backend, sizes, out)

        commands = {
            "queue list (first 50, as a table)": ["queue", "list"],
            "queue list --channel C --state pending --json": [
                "queue", "list", "--channel", project[1], "--state", "pending", "--json",
            ],
            "queue show ID": ["queue", "show", str(newest)],
        }  # fmt: skip
        timed = {
            label: measure(_same([*cli, *argv]), runs, env) for label, argv in commands.items()
        }
        with _undoing_adds(url):
            tag = f"{os.getpid()}-{backend}"
            seen["add"] = _check_imports(
                ["--config", str(config), "queue", "add", f"https://bench.example/{tag}/probe",
                 "--title", "T", *_channel_options(project)],
                env, NOT_FOR_ADD, broken,
            )  # fmt: skip
            four, every = _channel_options(project), []
            timed["queue add URL --title T --channel (4 channels)"] = measure(
                _adding(cli, f"https://bench.example/{tag}/four", four), runs, env
            )
            timed[f"queue add URL --title T (every channel: {channels:,})"] = measure(
                _adding(cli, f"https://bench.example/{tag}/all", every), runs, env
            )
        for label, result in timed.items():
            print(result.line(label))
        for label, result in timed.items():
            note = f"{sizes}; median of {runs}; CPU {result.cpu_ms:.0f} ms"
            heavy = seen["add" if "add" in label else "show" if "show" in label else "list"]
            if heavy:  # what it costs, said beside the figure (SQLAlchemy's core, psycopg...)
                note += f"; imports {', '.join(heavy)}"
            if label.startswith(("queue list (", "queue add")):
                out.append(at_most(BENCH, label, result.wall_ms, "ms", TARGET_MS,
                                   backend=backend, note=note))  # fmt: skip
            else:
                out.append(Figure(BENCH, label, result.wall_ms, "ms", backend=backend, note=note))
    return out


def growth_figures(backend: str, admin: str | None, quick: bool) -> list[Figure]:
    """`queue list` and `queue add` along the items (at the most channels) and the channels
    (at 100,000 items): context figures with their `scale`."""
    if quick:
        grid = [(20, 5_000), (20, 20_000)]
    else:
        grid = [(1000, 10_000), (1000, 100_000), (1000, 1_000_000), (10, 100_000), (100, 100_000)]
    runs = 2 if quick else 5
    out: list[Figure] = []
    print(f"\n== {backend}: growth ({runs} runs each)")
    for channels, items in grid:
        url = dataset_url(backend, channels, items, admin_url=admin)
        where = f"{channels:,} channels, {items:,} items"
        with tempfile.TemporaryDirectory(prefix="xs-bench-cli-") as tmp:
            config = write_config(Path(tmp), channels, url)
            cli = [*xensocial_command(), "--config", str(config)]
            env = _env()
            four = _channel_options(channel_names(channels)[:4])
            timed = {f"queue list, {where}": measure(_same([*cli, "queue", "list"]), runs, env)}
            with _undoing_adds(url):
                tag = f"https://bench.example/{os.getpid()}-{backend}-{channels}-{items}"
                timed[f"queue add to 4 channels, {where}"] = measure(
                    _adding(cli, f"{tag}/four", four), runs, env
                )
                if not quick:  # at 20 channels, much the same as the 4
                    timed[f"queue add to every channel, {where}"] = measure(
                        _adding(cli, f"{tag}/all", []), runs, env
                    )
        for label, result in timed.items():
            print(result.line(label))
            out.append(
                Figure(BENCH, label, result.wall_ms, "ms", backend=backend,
                       scale={"channels": channels, "items": items},
                       note=f"median of {runs}; CPU {result.cpu_ms:.0f} ms")
            )  # fmt: skip
    return out


def _check_imports(
    argv: list[str], env: dict[str, str], forbidden: Sequence[str], broken: list[str]
) -> list[str]:
    """The watched modules `xensocial ARGV` imports (said on stdout); `broken` gets those it
    must not import."""
    modules = imported_modules(argv, env)
    watched = sorted({*HEAVY, "sqlalchemy", "sqlalchemy.orm", "psycopg", *forbidden} & modules)
    shown = " ".join(a for a in argv if not a.startswith("/"))
    print(f"   imports of xensocial {shown[:60]}: {', '.join(watched) or 'none watched'}")
    bad = sorted(set(forbidden) & modules)
    if bad:
        broken.append(f"xensocial {shown} imported {', '.join(bad)}")
    return watched


def _load_settings_figure(config: Path, backend: str, sizes: str, out: list[Figure]) -> None:
    """What reading and checking the configuration costs inside each command (in process)."""
    from xensocial.config import load_settings

    times = []
    for _ in range(6):
        begun = time.perf_counter()
        load_settings(config, env={})
        times.append(time.perf_counter() - begun)
    ms = statistics.median(times[1:]) * 1000
    print(f"   {'load the configuration (in process)':<54} median {ms:7.1f} ms")
    out.append(Figure(BENCH, "load the configuration, in process", ms, "ms", backend=backend,
                      note=f"{sizes}; part of every command above"))  # fmt: skip


def _same(argv: Sequence[str]) -> Callable[[int], Sequence[str]]:
    """The same command for every run."""
    return lambda _: argv


def _adding(
    cli: Sequence[str], prefix: str, options: Sequence[str]
) -> Callable[[int], Sequence[str]]:
    """`queue add` of a new URL each run (an URL added twice would be refused)."""
    return lambda n: [*cli, "queue", "add", f"{prefix}/{n}", "--title", f"Bench {n}", *options]


def _channel_options(names: Sequence[str]) -> list[str]:
    return [option for name in names for option in ("--channel", name)]


def _newest_item(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.scalar(text("SELECT max(id) FROM items"))
    finally:
        engine.dispose()
    if found is None:
        raise SystemExit(f"broken: the dataset at {url} holds no item")
    return int(found)


@contextmanager
def _undoing_adds(url: str) -> Iterator[None]:
    """Delete, at the end, every item (with its deliveries and audit entries) added inside the
    block: the dataset is a cache other benchmarks read as it was built."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        last_item = conn.scalar(text("SELECT coalesce(max(id), 0) FROM items"))
        last_entry = conn.scalar(text("SELECT coalesce(max(id), 0) FROM audit_log"))
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE id > :n"), {"n": last_entry})
            conn.execute(text("DELETE FROM deliveries WHERE item_id > :n"), {"n": last_item})
            conn.execute(text("DELETE FROM items WHERE id > :n"), {"n": last_item})
        engine.dispose()


def _env() -> dict[str, str]:
    env = process_env()
    for name in [n for n in env if n.startswith("XENSOCIAL_")]:
        del env[name]  # the configuration given with --config, nothing else
    return env


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
