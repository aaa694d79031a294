"""Does the CLI stay light? `xensocial --help`, `queue list` and `queue show` must import no
network client or scheduler library, and, on SQLite, not SQLAlchemy either (its ORM alone
costs about 300 ms here, the whole budget of `queue list`).

    .venv/bin/python bench/cli_imports.py [--runs N]

For each command it lists the heavy modules imported (from `python -X importtime`, which names
every module the process imports), whether SQLAlchemy was imported, and the median wall time
over N runs, beside `python -c "import click"` (the floor) and `python -c "import
sqlalchemy.orm"` (what the read path avoids). Commands run with bytecode caching on, as an
installed package does (see `_support.process_env`). Exits 1 if a command imported a heavy
module or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import (  # noqa: E402
    imported_modules,
    process_env,
    summary_ms,
    time_command,
    xensocial_command,
)

HEAVY = ("tweepy", "facebook", "feedparser", "apscheduler", "httpx")
COMMANDS = (
    ["--help"],
    ["queue", "list"],
    ["queue", "list", "--state", "approved", "--json"],
    ["queue", "show", "1", "--json"],
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xs-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        env = process_env({"XENSOCIAL_DATA_DIR": tmp, "XENSOCIAL_DATABASE_URL": url})
        env.pop("XENSOCIAL_CONFIG", None)
        cli = xensocial_command()
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        _add_one_item(url)

        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} runs each")
        floor = time_command([sys.executable, "-c", "import click"], args.runs, env)
        label = 'python -c "import click"'
        print(f"{label:48} {summary_ms(floor)}")
        orm = time_command([sys.executable, "-c", "import sqlalchemy.orm"], args.runs, env)
        label = 'python -c "import sqlalchemy.orm"'
        print(f"{label:48} {summary_ms(orm)}")
        failed = False
        for argv in COMMANDS:
            modules = imported_modules(argv, env)
            heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
            orm_loaded = "sqlalchemy" in modules
            times = time_command([*cli, *argv], args.runs, env)
            print(f"{'xensocial ' + ' '.join(argv):48} {summary_ms(times)}")
            print(
                f"{'':48} heavy modules imported: {', '.join(heavy) or 'none'}; "
                f"sqlalchemy: {'IMPORTED' if orm_loaded else 'not imported'}"
            )
            failed = failed or bool(heavy) or orm_loaded
    return 1 if failed else 0


def _add_one_item(url: str) -> None:
    """One item for `queue show 1`, added in this process (the CLI's `queue add` may fetch the
    page's title, and a benchmark must not depend on the network)."""
    from content_queue import ContentQueue, NewItem, make_engine

    engine = make_engine(url)
    ContentQueue(engine).add(
        NewItem(url="https://example.org/bench", channels=["demo"], title="Bench")
    )
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
