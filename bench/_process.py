"""One command run as a whole process, measured: wall time, CPU time and peak resident memory.

Why through a small probe process: the peak resident memory of a child (`ru_maxrss`) includes
the memory of the process it was forked from, up to the moment it runs the command. A benchmark
that has just loaded a year of data holds 100 MB or more, so a command started directly from it
would be reported that large whatever it used itself (the report measured 99 MB that way, and
62 MB alone). A fresh `python -c` probe of ~10 MB starts the command and reads its own children's
usage, so the figure is the command's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Measured", "run_measured"]

_PROBE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": done.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "kib": usage.ru_maxrss, "err": done.stderr.decode(errors="replace")[-800:]}))
"""


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds, start to exit
    cpu: float  # seconds of CPU (user + system) of the command
    peak_mb: float  # its peak resident memory, MB (2**20 bytes)


def run_measured(argv: Sequence[str], env: Mapping[str, str]) -> Measured:
    """Run `argv` (its stdout is discarded: write results with `--out`) and measure it; fails
    loudly (SystemExit) when the command fails."""
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], env=dict(env), capture_output=True, text=True
    )
    if probe.returncode != 0:
        raise SystemExit(f"the measuring probe failed: {probe.stderr[-800:]}")
    result = json.loads(probe.stdout)
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(argv)} exited {result['code']}: {result['err'].strip()}")
    return Measured(result["wall"], result["cpu"], result["kib"] / 1024)
