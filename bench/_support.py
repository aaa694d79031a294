"""Shared helpers of the benchmark scripts: timing, percentiles, and running the CLI.

Benchmarks are scripts that print figures (recorded in docs/benchmarks.md), not tests: they
measure this machine, so they assert nothing about time.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["percentile", "summary_ms", "time_call", "time_command", "xensocial_command"]


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
    full_env = {**os.environ, **(env or {})}
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
