"""A slot storm: 1,000 channels with the same slot, against networks answering in 50 ms.

    .venv/bin/python bench/slot_storm.py [--channels N] [--latency-ms 50] [--replicas 3]
                                         [--posts-at-once N] [--quick]
                                         [--postgres URL | --no-postgres] [--figures FILE]

The channels are spread evenly over X, Mastodon, Facebook and the outbox (1,000: 250 each), all
with one slot a little after the start, and each has exactly one approved item queued. The fake
X, Mastodon and Facebook servers of `tests/fakes` answer every request after `--latency-ms`.
The real daemon (`xensocial run`) runs as a subprocess: on SQLite one, on PostgreSQL (when a
server answers) `--replicas` of them with their own identities on one scratch database. The
slot is placed after every daemon has had time to start, and every time is measured from the
slot's nominal instant; the run ends once every post is out (or 120 s after the slot), then the
daemons get SIGTERM.

Figures, per backend: seconds from the slot to the last post out (target < 60 s); posts out of
those expected; duplicates; slots claimed of channels; the most requests each fake server was
answering at once (it must stay within the configured posts at once per network, times the
replicas); each daemon's peak resident memory and threads; on PostgreSQL the posts made by the
busiest replica (the work shared). A post missing or out twice, a slot not claimed, or a network
seeing more requests at once than allowed is broken, not slow: the script then exits 1.
`--quick` (what CI runs): 40 channels, and 2 replicas on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # tests.daemon.storm
from _figures import Backend, Figure, add_suite_options, at_most, emit, on_each_backend  # noqa: E402

from tests.daemon.storm import (  # noqa: E402
    Daemons,
    StormNetworks,
    Verdict,
    judge,
    queue_items,
    slot_claims,
    storm_channels,
    whole_second,
    write_config,
)
from xensocial.config import PublishingConfig  # noqa: E402

NAME = "slot_storm"
TARGET_S = 60.0
WAIT_AFTER_SLOT_S = 120.0


@dataclass(frozen=True)
class Plan:
    channels: int
    latency: float
    replicas: int
    posts_at_once: int | None  # None: the daemon's default


def start_margin(channels: int, replicas: int) -> float:
    """Seconds from launching the daemons to the slot: enough for all of them to be ready
    (measured on 2 cores: 2 to 4 s for 1,000 channels, twice that for 3 daemons starting at once)."""
    return 6.0 + replicas * (2.0 + channels * 0.008)


@dataclass
class Outcome:
    """What one storm left: the networks' record, the ledger's claims, the daemons' runs."""

    slot: datetime
    ready_at: datetime  # when the last daemon started scheduling
    verdict: Verdict
    claimed: set[str]  # channels whose slot is in the ledger
    published_by: Counter[str]  # identity -> slots it published
    peaks: dict[str, int]  # network -> most requests at once
    runs: dict[str, Any]  # identity -> its run (peak RSS, threads, CPU)
    codes: dict[str, int | None]  # identity -> exit code after SIGTERM
    troubles: Counter[str]  # warning and error events logged, by name


def run_storm(plan: Plan, database_url: str, tmp: Path) -> Outcome:
    """Queue one item per channel, start the daemons, wait for every post, stop them."""
    channels = storm_channels(plan.channels)
    identities = [f"storm-{i + 1}" for i in range(plan.replicas)]
    started = time.perf_counter()
    queue_items(database_url, [name for name, _ in channels])
    print(f"   {plan.channels} items queued in {time.perf_counter() - started:.1f} s")
    with StormNetworks(tmp / "outbox.jsonl", latency=plan.latency) as networks:
        margin = start_margin(plan.channels, plan.replicas)
        slot = whole_second(datetime.now(UTC) + timedelta(seconds=margin))
        config = write_config(
            tmp / "storm.toml",
            database_url=database_url,
            networks=networks,
            channels=channels,
            slots=[slot],
            publishing=""
            if plan.posts_at_once is None
            else f"posts_at_once = {plan.posts_at_once}",
        )
        daemons = Daemons(tmp, config, networks.env)
        try:
            daemons.start(identities)
            if not daemons.wait_ready(timeout=margin + 60):
                raise SystemExit(
                    f"the daemons did not start: {daemons.exited()}\n{daemons.log_tail()}"
                )
            ready_at = max(r.ready_at for r in daemons.runs.values() if r.ready_at)
            print(f"   daemons ready {(slot - ready_at).total_seconds():.1f} s before the slot")
            deadline = slot + timedelta(seconds=WAIT_AFTER_SLOT_S)
            while datetime.now(UTC) < deadline and networks.count() < len(channels):
                daemons.sample()
                time.sleep(0.2)
            time.sleep(1.0)  # a post out twice would show up now
            posts = networks.posts()
        finally:
            codes = daemons.stop()
        print(f"   requests answered by each network: {networks.requests()}")
        peaks = networks.peaks()
    claims = [c for c in slot_claims(database_url, slot) if c[1] == slot]
    records = [r for identity in identities for r in daemons.records(identity)]
    return Outcome(
        slot=slot,
        ready_at=ready_at,
        verdict=judge(posts, channels, [slot]),
        claimed={channel for channel, *_ in claims},
        published_by=Counter(by for _, _, by, outcome in claims if outcome == "published"),
        peaks=peaks,
        runs=daemons.runs,
        codes=codes,
        troubles=Counter(
            str(r.get("event")) for r in records if r.get("level") in ("warning", "error")
        ),
    )


def figures_of(plan: Plan, out: Outcome, backend: str) -> tuple[list[Figure], list[str]]:
    """The storm's figures, and what is broken (a post missing or out twice, a slot not
    claimed, a network sent more at once than allowed, a daemon that did not stop cleanly)."""
    limit = plan.posts_at_once or PublishingConfig().posts_at_once
    allowed = limit * plan.replicas
    v = out.verdict
    note = (
        f"{plan.channels} channels ({plan.channels // 4} per network), "
        f"{plan.latency * 1000:.0f} ms network latency, {limit} posts at once per network, "
        f"{plan.replicas} daemon(s)"
    )
    early = (out.slot - out.ready_at).total_seconds()
    start = (
        f"daemons ready {early:.1f} s before the slot"
        if early >= 0
        else f"LATE START: daemons ready {-early:.1f} s after the slot"
    )
    print(f"   warnings and errors logged: {dict(out.troubles) or 'none'}")
    print(
        f"   posts by network {dict(v.by_network)}, most requests at once {out.peaks}, slots published by {dict(out.published_by)}"
    )

    def exactly(figure: str, value: int, expected: int, unit: str) -> Figure:
        return Figure(
            NAME,
            figure,
            value,
            unit,
            backend=backend,
            target=f"= {expected}",
            holds=value == expected,
            note=note,
        )

    runs = out.runs.values()
    cpu = sum(r.cpu_seconds - r.cpu_at_ready for r in runs)
    figures = [
        at_most(
            NAME,
            "last post out, after the slot",
            v.last_after_slot.get(0),
            "s",
            TARGET_S,
            backend=backend,
            note=f"{note}; {start}",
        ),
        exactly("posts out (of expected)", v.posted, v.expected, "posts"),
        exactly("posts out twice", v.duplicates, 0, "posts"),
        exactly("slots claimed (of channels)", len(out.claimed), plan.channels, "slots"),
    ]
    figures += [
        Figure(
            NAME,
            f"{network}: most requests at once",
            peak,
            "requests",
            backend=backend,
            target=f"<= {allowed}",
            holds=peak <= allowed,
            note=f"{limit} per network x {plan.replicas} daemon(s)",
        )
        for network, peak in sorted(out.peaks.items())
    ]
    figures += [
        Figure(
            NAME,
            "daemon peak RSS",
            round(max(r.peak_rss_kib for r in runs) / 1024, 1),
            "MB",
            backend=backend,
            note=f"{note} (the largest daemon's)",
        ),
        Figure(
            NAME,
            "daemon threads (peak)",
            max(r.peak_threads for r in runs),
            "threads",
            backend=backend,
            note=note,
        ),
        Figure(
            NAME,
            "daemon CPU per post",
            round(1000 * cpu / max(1, v.posted), 2),
            "ms",
            backend=backend,
            note=f"{note} (all daemons together, from start-up done to the stop)",
        ),
        Figure(
            NAME,
            "daemon start-up CPU",
            round(max(r.cpu_at_ready for r in runs), 2),
            "s",
            backend=backend,
            note=f"{note} (to the slots scheduled; the slowest daemon)",
        ),
    ]
    if plan.replicas > 1:
        total = sum(out.published_by.values())
        share = 100.0 * max(out.published_by.values(), default=0) / max(1, total)
        figures.append(
            Figure(
                NAME,
                "posts by the busiest replica",
                round(share, 1),
                "%",
                backend=backend,
                note=f"{dict(sorted(out.published_by.items()))} of {total}; an even share is {100 / plan.replicas:.0f} %",
            )
        )
    broken = list(v.broken)
    if len(out.claimed) != plan.channels:
        broken.append(f"{plan.channels - len(out.claimed)} slot(s) not claimed")
    broken += [
        f"{network} saw {peak} requests at once (allowed: {allowed})"
        for network, peak in out.peaks.items()
        if peak > allowed
    ]
    if any(code != 0 for code in out.codes.values()):
        broken.append(f"daemon exit codes {out.codes}")
    return figures, broken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--channels", type=int, help="channels (default 1,000; --quick 40)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="fake networks' answer time")
    parser.add_argument("--replicas", type=int, help="daemons on PostgreSQL (default 3; --quick 2)")
    parser.add_argument("--posts-at-once", type=int, help="per network (default: the daemon's)")
    add_suite_options(parser)
    args = parser.parse_args()
    args.channels = args.channels or (40 if args.quick else 1000)
    args.replicas = args.replicas or (2 if args.quick else 3)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    broken: list[str] = []

    def storm(db: Backend, args: argparse.Namespace) -> list[Figure]:
        """One daemon on SQLite, `--replicas` of them on PostgreSQL; `broken` gets what broke."""
        daemons = 1 if db.name == "sqlite" else args.replicas
        print(f"\n== {db.label}, {daemons} daemon{'s' * (daemons > 1)}, {args.channels} channels")
        plan = Plan(args.channels, args.latency_ms / 1000, daemons, args.posts_at_once)
        got, bad = figures_of(plan, run_storm(plan, db.url, db.folder), db.name)
        broken.extend(f"{db.name}: {b}" for b in bad)
        return got

    figures = on_each_backend(args, storm, "storm")
    print()
    emit(figures, args)
    for problem in broken:
        print(f"BROKEN: {problem}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
