"""The contract between each benchmark script and `bench/run`: figures, and how they travel.

Every benchmark script (`bench/<name>.py`) stays runnable on its own and prints what it
measures for a person. It also accepts the suite's options (`add_suite_options`):

    --quick            small sizes and few repetitions: proves the benchmark works (CI runs it)
    --figures FILE     also write the figures as JSON to FILE (what `bench/run` reads)
    --postgres URL     the PostgreSQL server (admin URL) to benchmark on, when it answers
    --no-postgres      SQLite only

and reports its results as `Figure`s through `emit`. A figure names its benchmark, what was
measured, the value, the unit, the target (if the figure has one) and whether it holds. Figures
without a target (growth curves, context) have `holds = None`.

Databases: most scripts measure the same work on SQLite, then on PostgreSQL when a server
answers; `on_each_backend` runs a script's measuring function on each (a `Backend`: its name,
a scratch database, the server's admin URL, a temporary folder) and collects the figures.

Growth: a curve is the figures of one benchmark and backend whose names are the same once
their numbers are set aside ("load config, 10 channels", "load config, 100 channels") and whose
`scale` differs in one key (`{"channels": 10}`, `{"channels": 100}`...); `bench/run --chart`
draws each such curve, relative to its smallest scale, on log-log axes.

Why a file and not stdout: the scripts print freely for people, and `bench/run` runs each one as
its own process (so one benchmark's imports, caches and memory never colour another's) and must
read its figures without parsing prose.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "POSTGRES_DEFAULT",
    "Backend",
    "Figure",
    "add_suite_options",
    "at_most",
    "emit",
    "exactly",
    "on_each_backend",
    "postgres_admin_url",
    "run_on_each_backend",
    "scratch_postgres_url",
]

POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Figure:
    """One measured figure, as one row of `bench/run`'s table."""

    benchmark: str  # the script's short name, e.g. "slot_storm"
    figure: str  # what was measured, e.g. "all 1,000 posts out, after the slot"
    value: float | None  # None: could not be measured (the note says why)
    unit: str  # "ms", "s", "MB", "%", "x", "items/s", ...
    backend: str = "-"  # "sqlite", "postgresql" or "-" (no database involved)
    target: str = ""  # as written in the issue, e.g. "< 5 ms"; "" for context figures
    holds: bool | None = None  # None when the figure has no target
    note: str = ""  # conditions worth knowing: sizes, load, why it is missing
    scale: dict[str, int] | None = None  # growth figures: {"channels": 100, "items": 10000}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def at_most(
    benchmark: str,
    figure: str,
    value: float | None,
    unit: str,
    limit: float,
    *,
    backend: str = "-",
    note: str = "",
    scale: dict[str, int] | None = None,
) -> Figure:
    """A figure whose target is `value < limit` (the common case: time, memory, CPU)."""
    shown = f"{limit:g}" if limit < 10_000 else f"{limit:,.0f}"
    return Figure(
        benchmark,
        figure,
        value,
        unit,
        backend=backend,
        target=f"< {shown} {unit}".strip(),
        holds=None if value is None else value < limit,
        note=note,
        scale=scale,
    )


def exactly(
    benchmark: str,
    figure: str,
    value: float,
    unit: str,
    expected: float,
    *,
    backend: str = "-",
    note: str = "",
) -> Figure:
    """A figure whose target is `value == expected`: a count that must come out exact (posts
    out twice: 0; SQL writes in a round of 304s: 0). Missing it is usually something broken,
    so the script also exits non-zero; the figure keeps the count in the table."""
    return Figure(
        benchmark,
        figure,
        value,
        unit,
        backend=backend,
        target=f"= {expected:g}",
        holds=value == expected,
        note=note,
    )


def add_suite_options(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark script accepts (see the module docstring)."""
    parser.add_argument("--quick", action="store_true", help="small sizes: check it works")
    parser.add_argument("--figures", type=Path, help="write the figures as JSON to this file")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("XENSOCIAL_BENCH_POSTGRES_URL", POSTGRES_DEFAULT),
        help="PostgreSQL admin URL (default: $XENSOCIAL_BENCH_POSTGRES_URL or local postgres)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")


def emit(figures: Iterable[Figure], args: argparse.Namespace) -> list[Figure]:
    """Print the figures as a small table and, with `--figures FILE`, write them as JSON."""
    out = list(figures)
    for f in out:
        value = "n/a" if f.value is None else f"{f.value:,.2f}"
        if isinstance(f.value, int):  # a count (posts, writes): no decimals
            value = f"{f.value:,}"
        verdict = {True: "holds", False: "MISSED", None: ""}[f.holds]
        print(
            f"   {f.benchmark:<14} {f.backend:<10} {f.figure:<48} {value:>12} {f.unit:<6} "
            f"{f.target:<12} {verdict}"
        )
    path: Path | None = getattr(args, "figures", None)
    if path is not None:
        path.write_text(json.dumps([f.as_dict() for f in out], indent=1) + "\n")
    return out


def postgres_admin_url(args: argparse.Namespace) -> str | None:
    """The admin URL to benchmark PostgreSQL with, or None (`--no-postgres`, or no server
    answers: said on stdout, so the suite shows why a backend is missing)."""
    if getattr(args, "no_postgres", False):
        return None
    url: str = args.postgres
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # no server, no driver, no rights: say so and go on
        print(f"   PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return None
    return url


@contextmanager
def scratch_postgres_url(admin_url: str, tag: str) -> Iterator[str]:
    """A fresh database on the server for one benchmark (named after `tag` and the process),
    dropped afterwards whatever happens."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"xs_bench_{tag}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Backend:
    """One database a script measures on (see `on_each_backend`). `url` is a scratch database
    of the run's own, empty and gone after it; a script that reads the cached queue of
    `bench/_dataset.py` instead (kept across runs, in databases of its own on the server) makes
    it with `admin_url`."""

    name: str  # "sqlite" or "postgresql": the figures' `backend`
    url: str  # the scratch database
    admin_url: str | None  # the server's admin URL; None on SQLite
    folder: Path  # a temporary folder of the run's own, removed after

    @property
    def label(self) -> str:
        """The name as a person writes it, for the script's headings."""
        return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[self.name]


def on_each_backend(
    args: argparse.Namespace,
    measure: Callable[[Backend, argparse.Namespace], list[Figure]],
    tag: str,
) -> list[Figure]:
    """`measure(backend, args)` on SQLite (a file in a temporary folder), then on PostgreSQL
    when a server answers (`postgres_admin_url`: `--no-postgres` or a silent server leave it
    out, said on stdout) with a fresh database named after `tag`; their figures, in that order.

    The server is asked once SQLite is done, so the line that says PostgreSQL is skipped
    stands where its figures would. Emitting stays with the script (`emit`): some add figures
    or lines of their own before the table."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix=f"xs-bench-{tag}-") as tmp:
        folder = Path(tmp)
        figures += measure(
            Backend("sqlite", f"sqlite:///{folder / 'bench.db'}", None, folder), args
        )
    admin = postgres_admin_url(args)
    if admin is not None:
        with (
            tempfile.TemporaryDirectory(prefix=f"xs-bench-{tag}-") as tmp,
            scratch_postgres_url(admin, tag) as url,
        ):
            figures += measure(Backend("postgresql", url, admin, Path(tmp)), args)
    return figures


def run_on_each_backend(
    args: argparse.Namespace,
    measure: Callable[[Backend, argparse.Namespace], list[Figure]],
    tag: str,
) -> int:
    """A benchmark's whole run when it adds nothing of its own to the table: the machine's
    line, `on_each_backend`, then `emit`; the exit status."""
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")
    figures = on_each_backend(args, measure, tag)
    print()
    emit(figures, args)
    return 0
