"""The benchmark suite: runs every benchmark of the project, each in its own process, and prints
one table of their figures. `bench/run` is the way in:

    bench/run [--quick] [--only NAME[,NAME]] [--json | --markdown] [--save FILE]
              [--chart FILE.svg] [--logs DIR] [--timeout SECONDS] [--jobs N]
              [--postgres URL | --no-postgres]
    bench/run --list
    bench/run --from FILE [--json | --markdown]     (show a run saved with --save)

Each script in `BENCHMARKS` runs as `python bench/NAME.py --figures FILE [--quick] ...` (the
contract is `bench/_figures.py`), so one benchmark's imports, caches and memory never colour
another's, and a crash stays one benchmark's. Its output goes to a log file (in `--logs DIR`,
a fresh temporary folder by default, said on stderr); its figures are read from the file.
They run one after another, since each measures the machine; `--jobs N` runs N at once, for
when the figures do not matter, only that every benchmark works (the quick run in CI).

A benchmark *fails* when it exits non-zero, times out, leaves processes running, or writes no
figures (or malformed ones): that is something broken, and the exit code is 1. A figure that
misses its target is not a failure (benchmarks are not tests: they measure this machine), so
the exit code stays 0. Bad usage exits 2.

PostgreSQL: each script benchmarks the server at the contract's default URL (or `--postgres`)
when one answers, and says when it skips. Under `CI=true` a server must answer (CI has one):
its absence is a failure, as in the test suite, so CI cannot pass on SQLite figures alone.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from _figures import POSTGRES_DEFAULT, Figure  # noqa: E402
from _machine import machine_info, postgres_version  # noqa: E402
from _suite_output import markdown_table, summary_line, text_table  # noqa: E402

# Every benchmark of the project, in the order they run (and appear in the table): the quick
# and cheap ones first, the daemon runs (long in full mode) last.
BENCHMARKS: tuple[str, ...] = (
    "cli_imports",
    "config_load",
    "selection",
    "editorial",
    "calendar_page",
    "web_pages",
    "feeds",
    "report",
    "exports",
    "imports",
    "limits",
    "scale",
    "slot_storm",
    "idle",
)
QUICK_TIMEOUT = 120.0  # seconds per script: a quick run is meant to take well under 60 s
FULL_TIMEOUT = 3600.0  # idle alone watches the daemon 10 minutes on each backend
_GRACE = 20.0  # after SIGINT, for a script's `finally:` blocks (dropping scratch databases)
_TAIL = 15  # lines of a failed script's output shown in the table
_RUNNING: set[subprocess.Popen[bytes]] = set()  # the scripts running now, for Ctrl-C


@dataclass
class Run:
    """What became of one benchmark script."""

    name: str
    seconds: float = 0.0
    returncode: int | None = None  # None: it did not run to the end (missing, timed out)
    log: str = ""
    figures: list[Figure] = field(default_factory=list)
    problem: str = ""  # why it failed; "" when it ran
    tail: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": "failed" if self.failed else "ok",
            "seconds": round(self.seconds, 2),
            "returncode": self.returncode,
            "log": self.log,
            "figures": len(self.figures),
            "problem": self.problem,
            "tail": self.tail,
        }


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One clear line and exit 2, not argparse's usage block."""
        self.exit(2, f"bench/run: {message} (bench/run --help shows the options)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="bench/run",
        description="Run every benchmark (each in its own process) and print one table.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: proves each works")
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run only these benchmarks")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print a JSON document, not a table")
    shown.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--save", type=Path, metavar="FILE", help="also write the JSON to FILE")
    parser.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help="show a run saved with --save instead of running",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        metavar="FILE.svg",
        help="also draw the growth figures (those with a scale) as an SVG",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        metavar="DIR",
        help="where each script's output goes (default: a new temporary folder)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"per script (default {QUICK_TIMEOUT:g} quick, {FULL_TIMEOUT:g} full)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="run N benchmarks at once: faster, but they disturb each other's timings "
        "(for checking the suite works, as CI does; default 1)",
    )
    database = parser.add_mutually_exclusive_group()
    database.add_argument(
        "--postgres", metavar="URL", help="PostgreSQL admin URL, passed to every script"
    )
    database.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    args.names = selected(parser, args.only)
    if args.jobs < 1:
        parser.error(f"--jobs must be 1 or more, not {args.jobs}")
    if args.timeout is not None and args.timeout <= 0:
        parser.error(f"--timeout must be positive, not {args.timeout:g}")
    return args


def selected(parser: argparse.ArgumentParser, only: str | None) -> list[str]:
    """The benchmarks `--only` names, in the registry's order (all of them without it)."""
    if only is None:
        return list(BENCHMARKS)
    wanted = [name.strip().removesuffix(".py") for name in only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown or not wanted:
        parser.error(
            f"--only: no benchmark named {', '.join(unknown) or repr(only)}; "
            f"there are {', '.join(BENCHMARKS)}"
        )
    return [name for name in BENCHMARKS if name in wanted]


def describe(name: str) -> str:
    """The first sentence of the script's docstring, read without running it."""
    path = BENCH / f"{name}.py"
    if not path.exists():
        return f"(missing: bench/{name}.py)"
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return re.split(r"(?<=[.?!])\s", doc.split("\n\n")[0].replace("\n", " "), maxsplit=1)[0]


# -- running one script ---------------------------------------------------------------------


def run_one(
    name: str, args: argparse.Namespace, logs: Path, timeout: float, folder: Path = BENCH
) -> Run:
    """Run bench/NAME.py (from `folder`) in its own process group, its output to NAME.log, and
    read its figures."""
    script = folder / f"{name}.py"
    log = logs / f"{name}.log"
    run = Run(name, log=str(log))
    if not script.exists():
        run.problem, run.log = f"bench/{name}.py does not exist", ""
        return run
    figures_file = logs / f"{name}.figures.json"
    figures_file.unlink(missing_ok=True)
    argv = [sys.executable, str(script), "--figures", str(figures_file)]
    argv += ["--quick"] if args.quick else []
    argv += ["--no-postgres"] if args.no_postgres else []
    argv += ["--postgres", args.postgres] if args.postgres else []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # the log keeps prints and errors in order
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        child = subprocess.Popen(
            argv,
            cwd=BENCH.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group: see _stop_group
        )
        _RUNNING.add(child)
        try:
            run.returncode = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.problem = f"timed out after {timeout:g} s"
            _interrupt(child)
        finally:
            _RUNNING.discard(child)
        run.seconds = time.perf_counter() - started
        if _group_alive(child.pid):  # a daemon or fake server it started and never stopped
            time.sleep(2)
            if _group_alive(child.pid):
                _stop_group(child.pid, signal.SIGKILL)
                run.problem = run.problem or "left processes running after it exited (killed)"
    if not run.problem and run.returncode != 0:
        run.problem = f"exited with code {run.returncode}"
    try:
        run.figures = read_figures(figures_file)
    except ValueError as exc:
        run.problem = run.problem or str(exc)
    if not run.problem and not run.figures:
        run.problem = "reported no figures"
    if run.failed:
        run.tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-_TAIL:]
    return run


def _interrupt(child: subprocess.Popen[bytes]) -> None:
    """Stop a script as Ctrl-C would (KeyboardInterrupt: its `finally`s drop its scratch
    databases and stop its daemons), then for good if it has not ended after a grace time."""
    _stop_group(child.pid, signal.SIGINT)
    try:
        child.wait(timeout=_GRACE)
    except subprocess.TimeoutExpired:
        _stop_group(child.pid, signal.SIGKILL)
        child.wait()


def _stop_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """Whether a live process is left in the group (zombies waiting for a reaper do not count:
    they hold no resources and a container's init may be slow to reap them)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # it ended while we looked
        if int(fields[2]) == pgid and fields[0] != "Z":  # after the name: state, ppid, pgrp
            return True
    return False


_FIELDS: dict[str, tuple[type, ...]] = {
    "benchmark": (str,),
    "figure": (str,),
    "value": (int, float, type(None)),
    "unit": (str,),
    "backend": (str,),
    "target": (str,),
    "holds": (bool, type(None)),
    "note": (str,),
    "scale": (dict, type(None)),
}


def read_figures(path: Path) -> list[Figure]:
    """The figures a script wrote; ValueError says what is wrong with the file."""
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"wrote figures that are not JSON: {exc}") from None
    if not isinstance(rows, list):
        raise ValueError("wrote figures that are not a JSON list")
    return [figure_from(row, f"figure {n + 1}") for n, row in enumerate(rows)]


def figure_from(row: object, where: str) -> Figure:
    """A `Figure` from its JSON form, checked field by field (ValueError names the field)."""
    if not isinstance(row, dict) or set(row) != set(_FIELDS):
        raise ValueError(f"{where}: not an object with the fields {', '.join(_FIELDS)}")
    for key, types in _FIELDS.items():
        value = row[key]
        if not isinstance(value, types) or (key == "value" and isinstance(value, bool)):
            raise ValueError(
                f"{where}: {key} = {value!r} is not {'/'.join(t.__name__ for t in types)}"
            )
    scale = row["scale"]
    if scale is not None and not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in scale.items()
    ):
        raise ValueError(f"{where}: scale = {scale!r} is not a mapping of names to integers")
    return Figure(**row)


# -- the whole run ------------------------------------------------------------------------


def check_postgres(args: argparse.Namespace) -> tuple[str | None, str]:
    """The server's version (None when none answers) and a line saying what the run will do."""
    if args.no_postgres:
        return None, "PostgreSQL: not asked for (--no-postgres)"
    url = args.postgres or os.environ.get("XENSOCIAL_BENCH_POSTGRES_URL", POSTGRES_DEFAULT)
    try:
        version = postgres_version(url)
    except Exception as exc:  # no server, no driver: the scripts will skip it too
        reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        return None, f"PostgreSQL: no server answers ({reason}); SQLite only"
    return version, f"PostgreSQL {version}: benchmarked beside SQLite"


def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    """Run the selected benchmarks one after another; the result as `bench/run --json` prints it."""
    logs = args.logs or Path(tempfile.mkdtemp(prefix="xs-bench-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    timeout = args.timeout or (QUICK_TIMEOUT if args.quick else FULL_TIMEOUT)
    load_before = os.getloadavg()
    pg_version, pg_line = check_postgres(args)
    say(
        f"bench: {len(args.names)} benchmark(s){' (quick)' if args.quick else ''}; "
        f"each one's output in {logs}/NAME.log"
    )
    say(f"bench: {pg_line}")
    runs: list[Run] = []
    if pg_version is None and not args.no_postgres and os.environ.get("CI") == "true":
        runs.append(
            Run(
                "suite",
                problem="CI=true but no PostgreSQL server answers: "
                "CI must not pass on SQLite figures alone",
                returncode=None,
            )
        )
    started = time.perf_counter()
    total = len(args.names)

    def one(n: int, name: str) -> Run:
        say(f"bench: [{n}/{total}] {name} ...")
        run = run_one(name, args, logs, timeout)
        verdict = f"FAILED: {run.problem}" if run.failed else f"{len(run.figures)} figures"
        say(f"bench: [{n}/{total}] {name}: {verdict} ({run.seconds:.1f} s)")
        return run

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # 1: one after another
        try:
            runs += pool.map(one, range(1, total + 1), args.names)
        except KeyboardInterrupt:  # Ctrl-C reaches only us: each script has its own session
            say("bench: interrupted: stopping the benchmarks that run")
            pool.shutdown(wait=False, cancel_futures=True)
            for child in list(_RUNNING):
                _interrupt(child)
            raise
    return {
        "machine": machine_info(load_before, os.getloadavg(), pg_version),
        "options": {
            "quick": args.quick,
            "jobs": args.jobs,
            "only": args.names,
            "postgres": not args.no_postgres and pg_version is not None,
            "logs": str(logs),
            "seconds": round(time.perf_counter() - started, 1),
        },
        "benchmarks": [run.as_dict() for run in runs if run.name != "suite"],
        "figures": [f.as_dict() for run in runs for f in run.figures],
        "failures": [
            {"benchmark": run.name, "problem": run.problem, "log": run.log, "tail": run.tail}
            for run in runs
            if run.failed
        ],
    }


def say(line: str) -> None:
    """Progress goes to stderr, so stdout holds only the table (or the JSON)."""
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        width = max(map(len, BENCHMARKS))
        for name in BENCHMARKS:
            print(f"{name:<{width}} {describe(name)}")
        return 0
    if args.from_file is not None:
        try:
            result = json.loads(args.from_file.read_text(encoding="utf-8"))
            figures = [
                figure_from(row, f"figure {n + 1}") for n, row in enumerate(result["figures"])
            ]
            missing = {"machine", "benchmarks", "failures", "options"} - set(result)
            if missing:
                raise ValueError(f"not a run saved by --save (no {', '.join(sorted(missing))})")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"bench/run: --from {args.from_file}: {exc}", file=sys.stderr)
            return 2
    else:
        result = run_suite(args)
        figures = [figure_from(row, "figure") for row in result["figures"]]
    result["summary"] = summary_line(figures, result["failures"], len(result["benchmarks"]))
    if result["options"].get("jobs", 1) > 1:
        result["summary"] += f" ({result['options']['jobs']} at a time: timings disturbed)"
    if args.save is not None:
        args.save.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.chart is not None:
        from growth_chart import write_chart

        say(f"bench: {write_chart(figures, args.chart)}")
    if args.json:
        print(json.dumps(result, indent=1))
    elif args.markdown:
        print(markdown_table(figures, result["failures"], result["machine"], result["summary"]))
    else:
        print(text_table(figures, result["failures"], result["summary"]))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("bench/run: interrupted (the running benchmarks were stopped)")
