"""Does editorial selection stay cheap with a big queue? The same 100,000 queued items as
`bench/selection.py` (four categories, about 2 deliveries each over 4 channels), on SQLite and
(when a server answers) PostgreSQL.

    .venv/bin/python bench/editorial.py [--items N] [--calls N] [--quick] [--figures FILE]
                                        [--postgres URL | --no-postgres]

It reports, per backend:

- `selection.pick` through the database (`EditorialStore.choose`): what every slot of a channel
  with a 4-category content mix does (pinned, announcement, reminders, the mix's counts, then
  one query per category until one has an item): median and p95; target < 5 ms, like the plain
  choice;
- the same with a mix whose first category has nothing eligible (every category is asked);
- `xensocial schedule`'s forecast of one channel for 7 days (`plan_channels` of that channel,
  14 slots);
- the query plan of one category's question, to show `ix_deliveries_category` serves it.

`--quick`: 5,000 items and 30 calls. Exits 1 only when a pick finds nothing (broken data or
selection), never for a figure that misses its target.
"""

from __future__ import annotations

import argparse
import sys
from datetime import time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import Backend, Figure  # noqa: E402
from _support import summary_ms, time_call  # noqa: E402
from selection import (  # noqa: E402
    CHANNELS,
    NOW,
    captured_sql,
    populated,
    print_plan,
    run_on_backends,
    timed,
)

from content_queue import Ledger  # noqa: E402
from content_queue.editorial_store import EditorialStore  # noqa: E402
from content_queue.mix import Mix  # noqa: E402
from content_queue.recycling import RecycleRules  # noqa: E402
from content_queue.selection import Rules  # noqa: E402
from xensocial.config import ChannelConfig  # noqa: E402
from xensocial.forecast import plan_channels  # noqa: E402

MIX = Mix.of({"news": 0.4, "resource": 0.3, "article": 0.2, "event": 0.1})
RULES = Rules(mix=MIX, recycle=RecycleRules(), reminders=(timedelta(days=7), timedelta(days=1)))
STARVED = Rules(mix=Mix.of({"video": 0.5, "news": 0.5}), recycle=RecycleRules())


def bench_backend(db: Backend, args: argparse.Namespace) -> list[Figure]:
    engine = populated(db, args.items)
    backend, sizes = engine.dialect.name, f"{args.items:,} items"
    store = EditorialStore(engine, clock=lambda: NOW)
    rotation = iter(range(10**9))

    def one(rules: Rules) -> None:
        channel = CHANNELS[next(rotation) % len(CHANNELS)]
        if store.choose(channel, NOW, rules) is None:
            raise SystemExit(f"broken: nothing chosen for {channel} with {rules.mix}")

    figures = []
    for name, rules in (("mix of 4", RULES), ("first category empty", STARVED)):
        times = time_call(lambda r=rules: one(r), args.calls)  # type: ignore[misc]
        print(f"   pick ({name:<20})     {summary_ms(times)}   target < 5 ms")
        figures.append(
            timed(
                f"pick, {name} (EditorialStore.choose)",
                times,
                backend,
                sizes,
                5,
                benchmark="editorial",
            )
        )

    channel = ChannelConfig(
        name=CHANNELS[0], network="outbox", timezone="UTC", slots=(time(9), time(15)), mix=MIX
    )
    ledger = Ledger(engine, clock=lambda: NOW)
    times = time_call(
        lambda: plan_channels([channel], ledger, NOW, NOW + timedelta(days=7)),
        max(3, args.calls // 50),
    )
    print(f"   schedule forecast, 7 days (14 slots) {summary_ms(times)}")
    figures.append(
        timed(
            "schedule forecast of one channel, 7 days (14 slots)",
            times,
            backend,
            sizes,
            benchmark="editorial",
        )
    )

    with captured_sql(engine) as seen, store.supply(CHANNELS[0], NOW) as supply:
        supply.best_in("event")
    print("   plan of one category's question (ChannelSupply.best_in):")
    print_plan(engine, *seen[0])
    engine.dispose()
    return figures


def main() -> int:
    return run_on_backends(bench_backend, __doc__.splitlines()[0], calls=300)


if __name__ == "__main__":
    sys.exit(main())
