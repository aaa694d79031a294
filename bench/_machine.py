"""What the suite says about the machine a run took place on: figures mean little without it
(a 2-core virtual machine shared with other work is not a quiet workstation).

Everything here is read, never assumed: a value that cannot be read is left out or None.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["machine_info", "postgres_version"]

_ROOT = Path(__file__).resolve().parent.parent


def machine_info(
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    postgres: str | None,
) -> dict[str, Any]:
    """Date, interpreter, cores, CPU, memory, load around the run and the libraries' versions."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "sqlalchemy": _version("sqlalchemy"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "commit": _commit(),
    }


def machine_line(machine: dict[str, Any]) -> str:
    """The machine in one sentence, for the Markdown output."""
    load = machine.get("load_before"), machine.get("load_after")
    parts = [
        f"{machine.get('date', '?')}",
        f"{machine.get('cores', '?')} cores ({machine.get('cpu') or 'CPU unknown'})",
        f"{machine.get('memory_gb') or '?'} GB",
        f"Python {machine.get('python', '?')}",
        f"SQLAlchemy {machine.get('sqlalchemy') or '?'}",
        f"SQLite {machine.get('sqlite', '?')}",
        f"PostgreSQL {machine.get('postgresql') or 'not run'}",
        f"load average {_load(load[0])} before, {_load(load[1])} after",
    ]
    if machine.get("commit"):
        sha, _, rest = str(machine["commit"]).partition(" ")
        parts.append(f"commit {sha[:10]}{' ' + rest if rest else ''}")
    return ", ".join(parts)


def postgres_version(url: str) -> str:
    """The server's version (`SHOW server_version`); raises when no server answers."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


def _load(values: object) -> str:
    if isinstance(values, list | tuple) and values:
        return f"{values[0]:.2f}"  # the last minute's: the one the run itself moved
    return "?"


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> str | None:
    """The checkout's commit (read only), and whether it had changes not yet committed."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=_ROOT, capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" (with changes)" if dirty.stdout.strip() else "")
