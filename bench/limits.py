"""Limits first, then work: how fast oversized words are refused, and what counting costs.

    .venv/bin/python bench/limits.py [--quick] [--figures FILE]

Issue 15 found rendering running before the length checks: a 120,000-character `--alt-text`
took 44 s to be refused, 999,000 ran past 400 s (X's counter, twitter-text, is quadratic on
input such as "a.a.a…"). Every path now checks the sizes first (`content_queue.limits`,
`rendering.check_sizes`) and counts a text only when it might fit (`rendering.countable`).

Measured here:

- whole processes, as staff run them (wall time, exit 2 checked): `queue add` with a
  120,000-character `--title`, `--text` and `--alt-text` (an argument cannot be much longer:
  Linux caps one at 128 KiB), `queue edit --channel` on X with 120,000 characters of "a.",
  and `queue import` of a file whose one cell holds 1 MB (the row limit raised to 2 MB);
- in-process, the refusal itself: `render_post` (what the daemon calls for each post) of a
  stored item whose title, text or channel text is 1 MB, or 200,000 characters of "a." on X
  (target: a few milliseconds; before this change it did not end);
- counting text that is long but allowed, on X: "a." * 140 (280 characters, the quadratic
  input at the limit), a 280-character text of 20 links, and rendering a 1,000-character title
  of "a." for X (it is cut to fit, counting only texts that might fit).

No database server is needed: the processes use SQLite (the refusals happen before any query).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _figures import Figure, add_suite_options, at_most, emit  # noqa: E402
from _support import process_env, xensocial_command  # noqa: E402

BENCHMARK = "limits"
REFUSE_MS = 10.0  # in-process refusal of a 1 MB field: "in milliseconds"
PROCESS_S = 1.0  # a whole refused command: start-up and the refusal
MB = 1024 * 1024
ARG = 120_000  # characters in one argument (Linux: at most 128 KiB each)
CONFIG = """\
timezone = "UTC"

[intake]
fetch_link_details = false

[imports]
max_row_length = "2 MB"

[[channels]]
name = "news"
network = "outbox"
slots = ["09:30"]

[channels.options]
path = "news.jsonl"

[[channels]]
name = "x"
network = "x"
slots = ["09:30"]
"""


def _refused_process(argv: list[str], env: dict[str, str]) -> float:
    """Seconds a command takes to be refused as bad input (exit 2, one `error:` line first)."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 2 or not done.stderr.startswith("error: "):
        raise SystemExit(f"broken: {argv[-3:]!r} exited {done.returncode}: {done.stderr[:300]}")
    return wall


def processes(runs: int) -> list[Figure]:
    print("\n== refused as whole processes (SQLite)")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="xs-bench-limits-") as tmp:
        folder = Path(tmp)
        config = folder / "xensocial.toml"
        config.write_text(CONFIG, encoding="utf-8")
        config.chmod(0o600)
        env = process_env({"XENSOCIAL_DATABASE_URL": f"sqlite:///{tmp}/q.db",
                           "XENSOCIAL_DATA_DIR": tmp})  # fmt: skip
        base = [*xensocial_command(), "--config", str(config)]
        subprocess.run([*base, "db", "upgrade"], env=env, check=True, capture_output=True)
        added = subprocess.run([*base, "queue", "add", "https://example.org/a", "--title", "A"],
                               env=env, check=True, capture_output=True, text=True)  # fmt: skip
        item = added.stdout.split()[2].rstrip(":")
        big = folder / "big-cell.csv"
        with big.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([["url", "title"], ["https://example.org/b", "a" * MB]])
        words = "a " * (ARG // 2)
        cases: list[tuple[str, list[str]]] = [
            (f"queue add --{opt} of {ARG:,} characters",
             ["queue", "add", f"https://example.org/{opt}", f"--{opt}", words])
            for opt in ("title", "text", "alt-text")
        ]  # fmt: skip
        cases.append((f"queue edit --channel x --text of {ARG:,} chars of 'a.'",
                      ["queue", "edit", item, "--channel", "x", "--text", "a." * (ARG // 2)]))  # fmt: skip
        cases.append(("queue import, one cell of 1 MB", ["queue", "import", str(big)]))
        subprocess.run([*base, "--help"], env=env, capture_output=True)  # warm the bytecode cache
        for name, args in cases:
            wall = statistics.median(_refused_process([*base, *args], env) for _ in range(runs))
            print(f"   {name}: refused in {wall:.2f} s")
            figures.append(at_most(BENCHMARK, f"{name}, refused", wall, "s", PROCESS_S,
                                   note=f"whole process, exit 2; median of {runs}"))  # fmt: skip
    return figures


def _ms(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def in_process(runs: int) -> list[Figure]:
    from dataclasses import replace

    from xensocial.adapters.outbox import OutboxAdapter
    from xensocial.adapters.x import XAdapter
    from xensocial.config.channels import ChannelConfig
    from xensocial.rendering import Draft, TextTooLong, render_post
    from xensocial.text import measure
    from xensocial.text._x import weighted_length

    print("\n== in-process: the refusal itself, and counting that is allowed")
    x = ChannelConfig(name="x", network="x", timezone="UTC")
    outbox = replace(x, name="news", network="outbox")
    item = Draft("https://example.org/a", "A title", "Some words.", "news", ("tag",))
    figures: list[Figure] = []

    def refuse(channel: ChannelConfig, limits: object, draft: Draft, own: str | None) -> None:
        try:
            render_post(draft, channel, limits, own_text=own)  # type: ignore[arg-type]
        except TextTooLong:
            return
        raise SystemExit(f"broken: {channel.network} rendered an oversized item")

    cases = [
        ("a stored title of 1 MB", outbox, OutboxAdapter.limits, replace(item, title="a" * MB), None),
        ("a stored text of 1 MB", outbox, OutboxAdapter.limits, replace(item, text="a " * (MB // 2)), None),
        ("a channel's text of 1 MB on X", x, XAdapter.limits, item, "a." * (MB // 2)),
        ("a text of 'a.' * 100,000 on X", x, XAdapter.limits, replace(item, text="a." * 100_000), None),
    ]  # fmt: skip
    for name, channel, limits, draft, own in cases:
        ms = _ms(lambda: refuse(channel, limits, draft, own), runs)  # noqa: B023
        print(f"   render_post, {name}: refused in {ms:.3f} ms")
        figures.append(at_most(BENCHMARK, f"render_post refuses {name}", ms, "ms", REFUSE_MS,
                               note=f"median of {runs}"))  # fmt: skip

    measure("x", "warm-up")  # imports twitter-text (0.5 s), as the first count of a process does
    links = " ".join(f"https://example.org/{n:02d}" for n in range(20))[:280]
    counts = [
        ("count on X: 'a.' * 140 (280 characters)", "a." * 140),
        ("count on X: 280 characters, 20 links", links),
        ("count on X: 280 characters of words", ("word " * 56)[:280]),
    ]
    for name, text in counts:
        ms = _ms(lambda: (weighted_length.cache_clear(), measure("x", text)), runs)  # noqa: B023
        print(f"   {name}: {ms:.1f} ms")
        figures.append(Figure(BENCHMARK, name, ms, "ms", note=f"median of {runs}"))
    title = replace(item, title="a." * 500, text="")
    ms = _ms(
        lambda: (weighted_length.cache_clear(), render_post(title, x, XAdapter.limits)),
        max(1, runs // 3),
    )
    print(f"   render_post on X, a 1,000-character title of 'a.' (cut to fit): {ms:.0f} ms")
    figures.append(Figure(BENCHMARK, "render on X: a title of 'a.' * 500, cut to fit", ms, "ms",
                          note="the cut's binary search counts only texts that might fit"))  # fmt: skip
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_suite_options(parser)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    figures = processes(1 if args.quick else 3)
    figures += in_process(3 if args.quick else 11)
    emit(figures, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
