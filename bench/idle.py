"""The idle footprint: `xensocial run` with 50 channels and an empty queue, watched from outside.

    .venv/bin/python bench/idle.py [--minutes N] [--channels N] [--scrape-every S]
                                   [--quick] [--figures FILE] [--postgres URL | --no-postgres]

A real deployment's daemon spends nearly all its life waiting for the next slot, so what it
costs while waiting is what an operator pays for. This writes the configuration such a
deployment has (channels spread over x, mastodon, facebook, bluesky and outbox, with their
secrets as `env:` references to dummy values and their API base URLs on a local port where
nothing listens; the default `[http]` endpoint, on a free loopback port; the default `[metrics]`
settings), starts `xensocial run` as a subprocess on a migrated, empty database, waits for its
`scheduling` log line, and then samples the process from `/proc` for the window (10 minutes;
15 s with `--quick`):

- resident memory (`VmRSS`) at the end of the window (target < 80 MB), its peak, and how much it
  grew over the window and over its second half (after warming up: a leak would show there);
- CPU time (`utime + stime` of the whole process) over the window as a share of one core
  (target < 1 %), with the endpoint scraped as a real Prometheus would: `/metrics` and
  `/healthz` every `--scrape-every` seconds (30 s; once, mid-window, with `--quick`). The CPU
  spent answering the scrapes is read around each scrape, so the figure without them is given
  too (the kernel counts CPU time in ticks of 10 ms, so the cost of one scrape is an average
  over many: rough with `--quick`);
- context switches per second outside the scrapes (voluntary and not, summed over the
  threads: how often the process wakes up by itself), the number of threads, and the start-up
  time to `scheduling`.

The channels' slots are set hours away from the start, so no slot falls inside the window and
no catch-up runs: the window measures waiting, nothing else. The database is migrated before the
daemon starts (`xensocial db upgrade`), as it is at every restart after the first.

The default metrics round comes 15 minutes after the start, after the window. Its first round
reads every channel's follower count, so every adapter builds its client and imports its network
library (they are imported on first use); from then on the daemon holds them, as one that posts
does after its first posts. Outside `--quick`, a second daemon with `[metrics] poll_every =
"20s"` measures the resident memory after that first round (the reads fail at once here, as
nothing listens, but every client is built): a context figure, without a target.

It runs on SQLite and, when a server answers, on a scratch PostgreSQL database. It exits
non-zero only when the daemon dies or never gets ready; a figure over its target is reported,
not failed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Backend, Figure, add_suite_options, at_most, emit, on_each_backend  # noqa: E402
from _live_process import Sample, sample  # noqa: E402
from _support import process_env, xensocial_command  # noqa: E402

NAME = "idle"
RSS_LIMIT_MB = 80.0
CPU_LIMIT_PCT = 1.0
READY_TIMEOUT = 60.0  # seconds: a start-up slower than this is broken, not slow
ROUND_EVERY = 20  # seconds between metrics rounds in the second daemon
ROUND_TIMEOUT = 120.0  # seconds to wait for its first round to finish
# A deployment's mix of networks, repeated over the channels (50: 15 x, 15 mastodon,
# 10 facebook, 5 bluesky, 5 outbox).
MIX = ("x", "mastodon", "x", "mastodon", "facebook")
MIX += ("x", "mastodon", "facebook", "bluesky", "outbox")
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there
SECRETS = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "mastodon": ("access_token",),
    "facebook": ("access_token",),
    "bluesky": ("app_password",),
    "outbox": (),
}


def _options(network: str, index: int) -> dict[str, str]:
    return {
        "x": {"api_base_url": NOWHERE},
        "mastodon": {"api_base_url": NOWHERE},
        "facebook": {"api_base_url": NOWHERE, "page_id": str(1000 + index)},
        "bluesky": {"api_base_url": NOWHERE, "handle": f"idle{index}.bsky.example"},
        "outbox": {"path": f"outbox-{index}.jsonl"},
    }[network]


def _quoted(value: str) -> str:
    return json.dumps(value)  # a TOML basic string is a JSON string for these values


def write_config(
    folder: Path, database_url: str, channels: int, port: int, *, round_every: int | None = None
) -> Path:
    """The configuration of a deployment with `channels` channels over the networks of MIX."""
    now = datetime.now(UTC)
    # Two slots a day, hours away from now on both sides: no slot and no catch-up in the window.
    slots = [(now + timedelta(hours=h)).strftime("%H:%M") for h in (3, 9)]
    lines = [
        f"database_url = {_quoted(database_url)}",
        f"data_dir = {_quoted(str(folder))}",
        'timezone = "UTC"',
        'log_format = "json"',
        'identity = "idle-bench"',
        f'[http]\nlisten = "127.0.0.1:{port}"',
    ]
    if round_every is not None:
        lines.append(f'[metrics]\npoll_every = "{round_every}s"')
    for i in range(channels):
        network = MIX[i % len(MIX)]
        lines += [
            f'\n[[channels]]\nname = "{network}-{i}"\nnetwork = "{network}"',
            f"slots = [{', '.join(_quoted(s) for s in slots)}]",
            "[channels.options]",
            *(f"{k} = {_quoted(v)}" for k, v in _options(network, i).items()),
        ]
        if SECRETS[network]:
            lines.append("[channels.secrets]")
            lines += [f'{s} = "env:XS_IDLE_{s.upper()}"' for s in SECRETS[network]]
    path = folder / "xensocial.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DaemonDied(Exception):
    """The daemon exited, or never got ready: the benchmark is broken, not slow."""


@dataclass
class Daemon:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    startup_s: float = 0.0
    exit_code: int | None = None  # after the SIGTERM at the end

    def lines(self, event: str) -> int:
        return self.log.read_text(errors="replace").count(f'"event": "{event}"')

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise DaemonDied(f"the daemon exited {self.proc.returncode}")


def _wait_ready(daemon: Daemon) -> float:
    start = time.monotonic()
    while time.monotonic() - start < READY_TIMEOUT:
        daemon.check_alive()
        if daemon.lines("scheduling"):
            return time.monotonic() - start
        time.sleep(0.05)
    raise DaemonDied(f"no `scheduling` line within {READY_TIMEOUT:.0f} s")


@contextmanager
def running(
    url: str, args: argparse.Namespace, *, round_every: int | None = None
) -> Iterator[Daemon]:
    """`xensocial run` on a freshly migrated database, ready; stopped with SIGTERM after."""
    with tempfile.TemporaryDirectory(prefix="xs-idle-") as tmp:
        folder, port = Path(tmp), _free_port()
        config = write_config(folder, url, args.channels, port, round_every=round_every)
        env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
        for systemd in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(systemd, None)
        env.update({f"XS_IDLE_{s.upper()}": f"dummy-{s}" for s in set(sum(SECRETS.values(), ()))})
        env = process_env(env)
        base = [*xensocial_command(), "--config", str(config)]
        migrated = subprocess.run([*base, "db", "upgrade"], env=env, capture_output=True, text=True)
        if migrated.returncode != 0:
            raise DaemonDied(f"db upgrade exited {migrated.returncode}: {migrated.stderr[-500:]}")
        log = folder / "daemon.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([*base, "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
        daemon = Daemon(proc, port, log)
        try:
            try:
                daemon.startup_s = _wait_ready(daemon)
                yield daemon
            except (DaemonDied, OSError) as exc:  # OSError: /proc/PID is gone
                tail = log.read_text(errors="replace")[-1500:]
                raise DaemonDied(f"{exc}; the daemon's log ends with:\n{tail}") from None
            proc.send_signal(signal.SIGTERM)
            try:
                daemon.exit_code = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                print("   the daemon did not stop within 20 s of SIGTERM: killed")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# -- the idle window ---------------------------------------------------------------------------


@dataclass
class Window:
    samples: list[Sample] = field(default_factory=list)
    scrape_cpu_s: float = 0.0  # CPU time spent while the scrapes were answered
    scrape_switches: int = 0  # context switches meanwhile (each query waits on the database)
    scrapes: int = 0
    scrape_failures: list[str] = field(default_factory=list)


def _scrape(port: int) -> None:
    for path in ("/metrics", "/healthz"):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
            answer.read()


def watch(daemon: Daemon, window: float, scrape_at: list[float]) -> Window:
    """Sample the process every second for `window` seconds, scraping at the offsets given."""
    pid, out = daemon.proc.pid, Window()
    start = time.monotonic()
    out.samples.append(sample(pid))
    pending = sorted(scrape_at)
    while (elapsed := time.monotonic() - start) < window:
        if pending and elapsed >= pending[0]:
            pending.pop(0)
            before = sample(pid)
            try:
                _scrape(daemon.port)
            except OSError as exc:
                out.scrape_failures.append(f"{type(exc).__name__}: {exc}")
            after = sample(pid)
            out.scrape_cpu_s += after.cpu_s - before.cpu_s
            out.scrape_switches += after.switches - before.switches
            out.scrapes += 1
        time.sleep(min(1.0, max(0.0, window - elapsed)))
        out.samples.append(sample(pid))
    daemon.check_alive()
    return out


def window_figures(backend: str, d: Daemon, w: Window, args: argparse.Namespace) -> list[Figure]:
    first, middle, last = w.samples[0], w.samples[len(w.samples) // 2], w.samples[-1]
    span, cpu = last.at - first.at, last.cpu_s - first.cpu_s
    where = f"{args.channels} channels, empty queue, {span / 60:.1f} min window"
    every = f" (every {args.scrape_every:g} s)" if w.scrapes > 1 else ""
    scrapes = f"{w.scrapes} scrapes of /metrics + /healthz{every}"
    idle_cpu = max(0.0, cpu - w.scrape_cpu_s)

    def context(figure: str, value: float, unit: str, note: str = where) -> Figure:
        return Figure(NAME, figure, value, unit, backend=backend, note=note)

    return [
        at_most(
            NAME,
            "resident memory at the end",
            last.rss_mb,
            "MB",
            RSS_LIMIT_MB,
            backend=backend,
            note=where,
        ),
        context("peak resident memory", max(s.rss_mb for s in w.samples), "MB"),
        context(
            "resident memory growth over the window",
            last.rss_mb - first.rss_mb,
            "MB",
            where + "; includes warming up (threads, first scrape)",
        ),
        context(
            "resident memory growth, second half",
            last.rss_mb - middle.rss_mb,
            "MB",
            where + "; warmed up: a leak would show here",
        ),
        at_most(
            NAME,
            "CPU over the window, with scrapes",
            100 * cpu / span,
            "%",
            CPU_LIMIT_PCT,
            backend=backend,
            note=f"{where}; {scrapes}; CPU time {cpu:.2f} s",
        ),
        context(
            "CPU over the window, without the scrapes",
            100 * idle_cpu / span,
            "%",
            f"{where}; {w.scrape_cpu_s:.2f} s of CPU in the scrapes",
        ),
        context(
            "CPU per scrape",
            1000 * w.scrape_cpu_s / max(1, w.scrapes),
            "ms",
            "/metrics + /healthz, CPU time of the daemon (10 ms ticks: an average)",
        ),
        context(
            "context switches, without the scrapes",
            (last.switches - first.switches - w.scrape_switches) / span,
            "/s",
            "voluntary and not, all live threads: how often it wakes up by itself; "
            f"{w.scrape_switches / max(1, w.scrapes):.0f} per scrape besides",
        ),
        context("threads", float(last.threads), ""),
        context(
            "start-up to `scheduling`",
            d.startup_s,
            "s",
            f"{args.channels} channels, migrated empty database",
        ),
    ]


# -- after the first metrics round -------------------------------------------------------------


def after_first_round(daemon: Daemon, channels: int) -> Sample | None:
    """The process once its first metrics round has been through every channel (each logs one
    line: collected or failed), or None when the round did not finish in time."""
    deadline = time.monotonic() + ROUND_TIMEOUT
    while time.monotonic() < deadline:
        daemon.check_alive()
        done = daemon.lines("metrics_collected") + daemon.lines("metrics_failed")
        if done >= channels or daemon.lines("metrics_round_failed"):
            time.sleep(1)  # the round's last writes
            return sample(daemon.proc.pid)
        time.sleep(0.5)
    return None


# -- a backend ---------------------------------------------------------------------------------


def warm_up(url: str, args: argparse.Namespace) -> None:
    """Fill the bytecode cache (a fresh one per benchmark process, see `_support`) as pip does at
    install: a daemon that compiles the modules it imports keeps the compiler's leftovers
    (4 MB more here when idle, 12 MB once the network libraries are in), which no installed
    daemon does. One daemon start compiles what an idle
    daemon imports; the network libraries, which the first metrics round imports, are imported
    once too."""
    with running(url, args):
        pass
    if not args.quick:
        libraries = "import atproto_client, facebook, httpx, mastodon, requests, tweepy"
        subprocess.run([sys.executable, "-c", libraries], env=process_env(), check=True)


def bench(db: Backend, args: argparse.Namespace) -> list[Figure]:
    backend, url = db.name, db.url
    warm_up(url, args)
    window = args.minutes * 60
    if args.quick:
        scrape_at = [window / 2]
    else:
        scrape_at = [t for t in range(int(args.scrape_every), int(window), int(args.scrape_every))]
    print(f"\n{backend}: {args.channels} channels, watching for {window:.0f} s ...", flush=True)
    with running(url, args) as daemon:
        w = watch(daemon, window, scrape_at)
    if w.scrape_failures:
        print(f"   {len(w.scrape_failures)} scrape(s) failed, e.g. {w.scrape_failures[0]}")
    if daemon.exit_code not in (0, None):
        print(f"   the daemon exited {daemon.exit_code} after SIGTERM (expected 0)")
    first, last = w.samples[0], w.samples[-1]
    print(
        f"   ready in {daemon.startup_s:.2f} s; RSS {first.rss_mb:.1f} -> {last.rss_mb:.1f} MB; "
        f"CPU {last.cpu_s - first.cpu_s:.2f} s over {last.at - first.at:.0f} s "
        f"({w.scrape_cpu_s:.2f} s in {w.scrapes} scrapes); {last.threads} threads"
    )
    out = window_figures(backend, daemon, w, args)
    if args.quick:
        return out
    print(f"   a daemon whose metrics round runs {ROUND_EVERY} s after its start ...", flush=True)
    with running(url, args, round_every=ROUND_EVERY) as daemon:
        before = sample(daemon.proc.pid)
        after = after_first_round(daemon, args.channels)
    shown = "n/a (the round did not finish)" if after is None else f"{after.rss_mb:.1f} MB"
    print(f"   RSS {before.rss_mb:.1f} MB when ready, {shown} after the first round")
    out.append(
        Figure(
            NAME,
            "resident memory after the first metrics round",
            None if after is None else after.rss_mb,
            "MB",
            backend=backend,
            note=f"every client built (follower reads; default poll_every = 15m): "
            f"{before.rss_mb:.1f} MB before it",
        )
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_suite_options(parser)
    parser.add_argument(
        "--minutes", type=float, help="the measuring window (default 10; 0.25 with --quick)"
    )
    parser.add_argument("--channels", type=int, default=50, help="channels configured (default 50)")
    parser.add_argument(
        "--scrape-every", type=float, default=30.0, help="seconds between scrapes (default 30)"
    )
    args = parser.parse_args()
    # Stopped by the suite (a timeout): unwind, so that no daemon is left running.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.minutes is None:
        args.minutes = 15 / 60 if args.quick else 10.0
    try:
        out = on_each_backend(args, bench, NAME)
    except DaemonDied as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print()
    emit(out, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
