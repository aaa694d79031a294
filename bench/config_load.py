"""How long does reading the configuration take with 10, 100 and 1,000 channels?

    .venv/bin/python bench/config_load.py [--quick] [--runs N] [--figures FILE]

Every command (`queue add`, `queue list`, `schedule`, `report`...) and the daemon read and
check the whole configuration first, so its cost is paid by each of them. The files written
here are what a large deployment looks like: channels on x, mastodon, facebook and outbox
(their secrets as `env:`/`file:` references), slots on weekdays or a seconds cron, six time
zones, a template, UTM parameters, hashtags, and a content mix on every other channel.

Each run is a fresh process that imports `xensocial.config` and then times one
`load_settings` call (the first in the process, as a command makes it): the figure is that
call, not the interpreter's start-up or the imports. Target for 1,000 channels: < 50 ms, a
sixth of the 300 ms a `queue list` may take as a whole process, most of which start-up needs.
The figures at 10, 100 and 1,000 channels show how it grows (it should be linear in the
channels: nothing is compared pairwise).

`write_config` is also what `bench/report.py` and `bench/exports.py` read their channels from.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Figure, add_suite_options, at_most, emit  # noqa: E402
from _support import process_env  # noqa: E402

BENCHMARK = "config_load"
TARGET_MS = 50.0
NETWORKS = ("x", "mastodon", "facebook", "outbox")
ZONES = (
    "Europe/Amsterdam",
    "America/New_York",
    "Asia/Tokyo",
    "UTC",
    "Europe/London",
    "Australia/Sydney",
)
_OPTIONS = {
    "x": ["[channels.secrets]"]
    + [f'{s} = "env:X_{s.upper()}_{{n}}"' for s in ("consumer_key", "consumer_secret")]
    + [f'{s} = "file:/run/secrets/x_{s}_{{n}}"' for s in ("access_token", "access_token_secret")],
    "mastodon": [
        "[channels.options]",
        'api_base_url = "https://floss.social"',
        "[channels.secrets]",
        'access_token = "env:MASTODON_TOKEN_{n}"',
    ],
    "facebook": [
        "[channels.options]",
        'page_id = "10000{n}"',
        "[channels.secrets]",
        'access_token = "file:/run/credentials/xensocial.service/fb_{n}"',
    ],
    "outbox": ["[channels.options]", 'path = "{name}.jsonl"'],
}


def channel_names(channels: int) -> list[str]:
    return [f"ch-{n:04d}" for n in range(channels)]


def channel_tables(channels: int) -> str:
    """`channels` `[[channels]]` tables, named as `channel_names` names them."""
    out = []
    for n, name in enumerate(channel_names(channels)):
        network = NETWORKS[n % len(NETWORKS)]
        schedule = (
            ['cron = "0 */10 * * * *"']
            if n % 5 == 4
            else [
                'slots = ["09:30", "12:00", "15:00"]',
                'days = ["mon", "tue", "wed", "thu", "fri"]',
            ]
        )
        mix = (
            [
                "mix = { news = 0.4, resource = 0.3, article = 0.2, event = 0.1 }",
                'mix_window = "14d"',
            ]
            if n % 2 == 0
            else []
        )
        lines = [
            "[[channels]]",
            f'name = "{name}"',
            f'network = "{network}"',
            *schedule,
            f'timezone = "{ZONES[n % len(ZONES)]}"',
            "max_per_day = 3",
            'min_gap = "3h"',
            'jitter = "5m"',
            r'template = "{body}\n\n{url}\n\n{hashtags}"',
            *mix,
            *(line.format(n=n, name=name) for line in _OPTIONS[network]),
            "[channels.utm]",
            f'source = "{network}"',
            'medium = "social"',
            "[channels.hashtags]",
            'xen = "XenProject"',
            'internal = ""',
        ]
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def write_config(folder: Path, channels: int, header: str = "") -> Path:
    """A configuration of `channels` channels in `folder`; `header` is its top-level part
    (database_url, [report], ...), which must come before the channel tables."""
    path = folder / f"channels-{channels}.toml"
    path.write_text(f"{header}\n\n{channel_tables(channels)}", encoding="utf-8")
    return path


# The measured process: imports first (not measured), then one load_settings, timed.
_PROBE = """
import json, sys, time
from xensocial.config import load_settings
wall, cpu = time.perf_counter(), time.process_time()
settings = load_settings(sys.argv[1])
print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu, len(settings.channels)]))
"""


def time_load(path: Path, channels: int, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of the first `load_settings(path)` in `runs` fresh processes."""
    env = process_env({"XENSOCIAL_DATA_DIR": str(path.parent)})
    walls, cpus = [], []
    for i in range(runs + 1):  # the first run fills the bytecode cache
        result = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path)], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise SystemExit(f"load_settings({path}) failed: {result.stderr.strip()[-800:]}")
        wall, cpu, loaded = json.loads(result.stdout)
        if loaded != channels:
            raise SystemExit(f"{path}: {loaded} channels loaded, {channels} written")
        if i:
            walls.append(wall)
            cpus.append(cpu)
    return walls, cpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_suite_options(parser)
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per size")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {date.today():%Y-%m-%d}")
    print(f"   the first load_settings() of a fresh process, {runs} processes per size")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="xs-bench-config-") as tmp:
        for channels in (10, 100, 1000):
            path = write_config(Path(tmp), channels, 'identity = "bench"')
            walls, cpus = time_load(path, channels, runs)
            wall_ms = statistics.median(walls) * 1000
            cpu_ms = statistics.median(cpus) * 1000
            size = path.stat().st_size / 1024
            print(
                f"   {channels:>5,} channels ({size:6,.0f} KiB)   median {wall_ms:7.2f} ms   "
                f"min {min(walls) * 1000:7.2f} ms   CPU median {cpu_ms:7.2f} ms"
            )
            note = f"{size:,.0f} KiB of TOML; median of {runs} fresh processes; CPU {cpu_ms:.1f} ms"
            figures.append(
                Figure(
                    BENCHMARK,
                    f"load config, {channels:,} channels",
                    wall_ms,
                    "ms",
                    note=note,
                    scale={"channels": channels},
                )  # fmt: skip
            )
            if channels == 1000:
                figures.append(
                    at_most(
                        BENCHMARK, "load 1,000-channel config", wall_ms, "ms", TARGET_MS, note=note
                    )  # fmt: skip
                )
    emit(figures, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
