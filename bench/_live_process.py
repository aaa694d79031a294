"""Reading a running process from /proc: resident memory, CPU time, wake-ups and threads.

For benchmarks that watch a long-running process (the daemon) from outside, without asking
anything of it: what the kernel counts is what an operator's monitoring would see. Linux only.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Sample", "sample"]

_TICK = os.sysconf("SC_CLK_TCK")  # CPU time is counted in these (100 a second here)


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic() when read
    rss_mb: float  # VmRSS, MB (2**20 bytes)
    cpu_s: float  # utime + stime of every thread, ended ones included
    switches: int  # voluntary + involuntary context switches of the live threads
    threads: int


def _status(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def _switches(pid: int) -> int:
    """Context switches summed over the threads (/proc/PID/status counts the main one only)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = _status(task / "status")
        except OSError:
            continue  # the thread ended meanwhile
        total += int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])
    return total


def sample(pid: int) -> Sample:
    """One reading of the process; raises OSError when it is gone."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    status = _status(Path(f"/proc/{pid}/status"))
    return Sample(
        at=time.monotonic(),
        rss_mb=int(status["VmRSS"].split()[0]) / 1024,
        cpu_s=(utime + stime) / _TICK,
        switches=_switches(pid),
        threads=int(status["Threads"]),
    )
