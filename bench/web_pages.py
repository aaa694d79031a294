"""The web console's pages, server time (issue 19 item 6): every page with 100,000 items and
50 channels, on SQLite and (when a server answers) PostgreSQL.

    .venv/bin/python bench/web_pages.py [--channels N] [--items N] [--calls N] [--fresh]
                                   [--quick] [--figures FILE]
                                   [--postgres URL | --no-postgres]

With the queue of `bench/_dataset.py` (the dataset `bench/calendar_page.py` times the
calendar's functions on: two years of history, the live queue, paused channels, blackouts;
built once and cached) and its configuration, it signs in once (an account `bench-web`,
approver, added to the dataset when missing) and times, after a warm-up, a GET of each page
through Starlette's TestClient, in process: the whole of the console's work for the page
(routing, the session, the reads, the template) and no network. Target < 200 ms each, the
budget of issue 19: the queue list and a search, an item's page, the add form, the calendar's
week, the month of "now" (mostly past), the next month (every slot to come: the forecast) and
the next month of one channel, the channels page (its adapters' warnings included: they build each network's
client, no I/O), the reports index and a month's report page, and the month's HTML report
itself (`build_report`, the same work as `xensocial report monthly --format html`).

`--quick` (CI): 10 channels, 5,000 items, few calls.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dataset import anchor, dataset_url, write_config  # noqa: E402
from _figures import Backend, Figure, add_suite_options, run_on_each_backend  # noqa: E402
from _support import time_call  # noqa: E402
from selection import timed  # noqa: E402

from content_queue import make_engine  # noqa: E402
from content_queue.accounts import AccountStore  # noqa: E402
from content_queue.timeutil import Clock  # noqa: E402
from xensocial.accounts import hash_password  # noqa: E402
from xensocial.config import load_settings  # noqa: E402
from xensocial.web import create_app  # noqa: E402

BENCHMARK = "web_pages"
PAGE_MS = 200.0
ACCOUNT, PASSWORD = "bench-web", "bench password, long enough"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, help="channels (default 50; quick 10)")
    parser.add_argument("--items", type=int, help="items (default 100,000; quick 5,000)")
    parser.add_argument("--calls", type=int, help="timed calls of each (default 20; quick 3)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached dataset")
    add_suite_options(parser)
    args = parser.parse_args()
    args.channels = args.channels or (10 if args.quick else 50)
    args.items = args.items or (5_000 if args.quick else 100_000)
    args.calls = args.calls or (3 if args.quick else 20)
    return args


def _pages(now: datetime, item_id: int, month: str, channel: str) -> list[tuple[str, str]]:
    following = f"{now.year + now.month // 12}-{now.month % 12 + 1:02d}-01"  # every slot to come
    return [
        ("queue list", "/queue"),
        ("queue search", "/queue?search=release&state=approved"),
        ("an item's page", f"/items/{item_id}"),
        ("add form", "/add"),
        ("calendar, week", "/calendar"),
        ("calendar, month", f"/calendar?view=month&at={now:%Y-%m-%d}"),
        ("calendar, next month", f"/calendar?view=month&at={following}"),
        (
            "calendar, next month, ch-0000",
            f"/calendar?view=month&at={following}&channel={channel}",
        ),
        ("channels and feeds", "/channels"),
        ("reports index", "/reports"),
        ("a month's report page", f"/reports/month/{month}"),
        ("the month's HTML report", f"/reports/month/{month}/report.html"),
    ]


def bench_backend(backend: Backend, args: argparse.Namespace) -> list[Figure]:
    from starlette.testclient import TestClient

    from content_queue.queue import ContentQueue

    print(f"\n== {backend.name}: {args.channels} channels, {args.items:,} items")
    url = dataset_url(
        backend.name, args.channels, args.items, admin_url=backend.admin_url, fresh=args.fresh
    )
    settings = load_settings(write_config(backend.folder, args.channels, url))
    now = anchor()
    clock: Clock = lambda: now  # noqa: E731
    engine = make_engine(url)
    accounts = AccountStore(engine, clock)
    if accounts.get(ACCOUNT) is None:
        accounts.add(ACCOUNT, "approver", hash_password(PASSWORD), by="bench")
    item_id = ContentQueue(engine, clock=clock).list_items(limit=1)[0].id
    client = TestClient(create_app(settings, engine, clock=clock, secret="b" * 48))
    login = client.get("/login").text
    csrf = login.split('name="csrf" value="')[1].split('"')[0]
    signed = client.post("/login", data={"name": ACCOUNT, "password": PASSWORD, "csrf": csrf})
    assert signed.status_code == 200 and ACCOUNT in signed.text, "could not sign in"
    sizes = f"{args.channels} channels, {args.items:,} items"
    month = f"{now:%Y-%m}"
    figures = []
    for label, path in _pages(now, item_id, month, settings.channel_names[0]):
        answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:200]}")

        def get(p: str = path) -> None:
            assert client.get(p).status_code == 200

        figure = timed(
            f"page: {label}",
            time_call(get, args.calls, warmup=1),
            backend.name,
            sizes,
            PAGE_MS,
            f"{len(answer.content):,} bytes",
            benchmark=BENCHMARK,
        )
        print(f"   {label:<26} {figure.value:8.1f} ms   target < {PAGE_MS:.0f} ms")
        figures.append(figure)
    engine.dispose()
    return figures


def main() -> int:
    return run_on_each_backend(parse_args(), bench_backend, BENCHMARK)


if __name__ == "__main__":
    sys.exit(main())
