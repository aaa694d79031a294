"""Shared helpers of the benchmark scripts: timing, percentiles, and running the CLI.

Benchmarks are scripts that print figures (recorded in docs/benchmarks.md), not tests: they
measure this machine, so they assert nothing about time.
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "imported_modules",
    "percentile",
    "process_env",
    "summary_ms",
    "time_call",
    "time_command",
    "xensocial_command",
]

_PYCACHE = tempfile.mkdtemp(prefix="xs-bench-pycache-")
atexit.register(shutil.rmtree, _PYCACHE, True)


def process_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured process: this one's plus `extra`, with bytecode caching on.

    An installed package runs from bytecode compiled once (pip compiles it at install time);
    with PYTHONDONTWRITEBYTECODE set (as in some CI and container setups) every run compiles
    every module again, which here adds 150 to 250 ms to each command and measures the
    compiler, not the command. The cache goes to a temporary folder (PYTHONPYCACHEPREFIX), so
    the checkout is left as it was; the first (warm-up) run of each command fills it."""
    env = {**os.environ, **(extra or {})}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    return env


def xensocial_command() -> list[str]:
    """The installed console script beside this interpreter, else `python -m xensocial`."""
    script = Path(sys.executable).parent / "xensocial"
    if script.exists():
        return [str(script)]
    found = shutil.which("xensocial")
    return [found] if found else [sys.executable, "-m", "xensocial"]


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(seconds: Sequence[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"median {statistics.median(ms):8.2f} ms   p95 {percentile(ms, 0.95):8.2f} ms   "
        f"min {min(ms):8.2f} ms   (n={len(ms)})"
    )


def time_call(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def time_command(
    argv: Sequence[str],
    runs: int,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    warmup: int = 1,
) -> list[float]:
    """Wall time of a whole process, start to exit; fails loudly if the command fails."""
    full_env = process_env(env)
    out = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        result = subprocess.run(argv, env=full_env, cwd=cwd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(
                f"{' '.join(argv)} exited {result.returncode}: {result.stderr.strip()[-500:]}"
            )
        if i >= warmup:
            out.append(elapsed)
    return out


def imported_modules(argv: Sequence[str], env: Mapping[str, str] | None = None) -> set[str]:
    """Every module `xensocial ARGV` imports, read from `python -X importtime`'s report."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "xensocial", *argv],
        env=process_env(env),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = "\n".join(
            line for line in result.stderr.splitlines() if not line.startswith("import time:")
        )
        raise SystemExit(f"xensocial {' '.join(argv)} exited {result.returncode}: {tail[-500:]}")
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                modules.add(name)
    return modules
