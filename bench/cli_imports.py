"""Does the CLI stay light? `xensocial --help` and `xensocial queue list` must import no
network client or scheduler library, and start about as fast as click itself.

    .venv/bin/python bench/cli_imports.py [--runs N]

For each command it lists the heavy modules imported (from `python -X importtime`, which names
every module the process imports) and the median wall time over N runs, beside
`python -c "import click"` as the floor. Exits 1 if a heavy module was imported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import summary_ms, time_command, xensocial_command  # noqa: E402

HEAVY = ("tweepy", "facebook", "feedparser", "apscheduler", "httpx")


def imported_modules(argv: list[str], env: dict[str, str]) -> set[str]:
    """Every module the command imports, read from -X importtime's report on stderr."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "xensocial", *argv],
        env=env,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        env = {
            **os.environ,
            "XENSOCIAL_DATA_DIR": tmp,
            "XENSOCIAL_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}",
        }
        env.pop("XENSOCIAL_CONFIG", None)
        cli = xensocial_command()
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)

        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} runs each")
        floor = time_command([sys.executable, "-c", "import click"], args.runs, env)
        label = 'python -c "import click"'
        print(f"{label:32} {summary_ms(floor)}")
        orm = time_command([sys.executable, "-c", "import sqlalchemy.orm"], args.runs, env)
        label = 'python -c "import sqlalchemy.orm"'
        print(f"{label:32} {summary_ms(orm)}")
        failed = False
        for argv in (["--help"], ["queue", "list"]):
            heavy = sorted(m for m in imported_modules(argv, env) if m.split(".")[0] in HEAVY)
            times = time_command([*cli, *argv], args.runs, env)
            print(f"{'xensocial ' + ' '.join(argv):32} {summary_ms(times)}")
            print(f"{'':32} heavy modules imported: {', '.join(heavy) or 'none'}")
            failed = failed or bool(heavy)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
