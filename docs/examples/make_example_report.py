"""Make the example report in docs/examples/ and the README's chart, from a simulated March.

    .venv/bin/python docs/examples/make_example_report.py      # needs `pip install -e ".[test]"`

Nothing here is made up by hand and written into the database: a month of the real daemon's
work is run on a simulated clock, against the fake networks of the test suite over real HTTP.

- Three channels: `xen-news` (the outbox), `xen-mastodon` and `xen-x`, served by the fake
  Mastodon instance and the fake X API (`tests/fakes/`), each post going through the real
  publisher (`xensocial.publishing`) at the channel's slots, from 23 February to 31 March 2026
  (Europe/Amsterdam). The Xen 4.21 announcement waits for release day (`not_before`), the
  day its press release is recorded too. The outbox has a third daily slot that the daily cap
  skips and is paused for a week; the fake X answers 503 to three posts, which X's lookups
  cannot then find, so they become `unknown` for a person.
- Every six simulated hours the real collector (`xensocial.metrics`) reads the fakes' counters,
  which grow with each post's age the way an audience's would (fixed per post by a seeded
  random draw, so every run gives the same numbers); once a day, from 20 December, it reads
  the follower counts and X's recent post counts per competitor, answered by the fake X from a
  stream of other people's posts.
- Press clips and programme activities go in through their stores (`content_queue.coverage`),
  as `clips add` and `activity add` would put them.

Then `xensocial report monthly --month 2026-03` runs as a process in each format (PDF too) into
docs/examples/, and headless Chromium takes the charts of the HTML report into
docs/images/report-charts.png. Outlets, clips and items are fictional (`.example` domains).
Two runs differ only in the time the report was made and in the fake Mastodon's port, which
is part of its posts' URLs.
"""

from __future__ import annotations

import heapq
import logging
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from content_queue import ContentQueue, Ledger, NewItem, make_engine  # noqa: E402
from content_queue.coverage import ActivityStore, ClipStore, NewActivity, NewClip  # noqa: E402
from content_queue.metrics_store import MetricsStore  # noqa: E402
from tests.fakes.mastodon import FakeMastodon  # noqa: E402
from tests.fakes.server import FakeServer  # noqa: E402
from tests.fakes.x import CREDENTIALS, FakeX, server_error  # noqa: E402
from tests.storage.reporting.chromium import find_chromium, screenshot  # noqa: E402
from xensocial.adapters.factory import build_adapter  # noqa: E402
from xensocial.config import ChannelConfig, load_settings  # noqa: E402
from xensocial.metrics.collector import Collector  # noqa: E402
from xensocial.metrics.keyword_counts import KeywordCounts  # noqa: E402
from xensocial.migrate import upgrade  # noqa: E402
from xensocial.publishing import Publisher  # noqa: E402
from xensocial.reporting.build import build_report  # noqa: E402
from xensocial.reporting.periods import parse_month  # noqa: E402
from xensocial.reporting.render_html import render_charts_page  # noqa: E402
from xensocial.slots import slot_times  # noqa: E402

EXAMPLES = ROOT / "docs" / "examples"
IMAGES = ROOT / "docs" / "images"
START = datetime(2026, 2, 23, 0, 0, tzinfo=UTC)  # the first slots
HISTORY = datetime(2025, 12, 20, 0, 0, tzinfo=UTC)  # follower counts and X counts from here
RELEASE_DAY = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # Xen 4.21 is embargoed until then
END = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
MASTODON_TOKEN = "example-mastodon-token"
SECRETS = {
    "XS_EXAMPLE_MASTODON_TOKEN": MASTODON_TOKEN,
    **{f"XS_EXAMPLE_X_{k.upper()}": v for k, v in CREDENTIALS.items()},
}

CONFIG = """\
database_url = "sqlite:///example.db"
data_dir = "{data}"
timezone = "Europe/Amsterdam"

[publishing]
backoff = "1s"

[metrics]
ages = ["1h", "24h", "7d", "30d"]
followers_every = "1d"

[report]
title = "Xen Project social media status"
project = "xen"
keyword_counts_channel = "xen-x"
[report.competitors]
xen = ["Xen", "XenServer", "Xen Project"]
kvm = ["KVM"]
docker = ["Docker"]
[report.themes]
mobile = ["mobile", "automotive", "embedded"]
cloud = ["cloud"]
community = ["community", "contributor", "contributors"]
security = ["security"]

[[channels]]
name = "xen-news"
network = "outbox"
slots = ["09:30", "15:00", "17:30"]
days = ["mon", "tue", "wed", "thu", "fri"]
max_per_day = 2
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "xen-mastodon"
network = "mastodon"
slots = ["10:00", "16:00"]
days = ["mon", "tue", "wed", "thu", "fri"]
max_per_day = 2
[channels.options]
api_base_url = "{mastodon}"
[channels.secrets]
access_token = "env:XS_EXAMPLE_MASTODON_TOKEN"

[[channels]]
name = "xen-x"
network = "x"
slots = ["11:00", "17:00"]
days = ["mon", "tue", "wed", "thu", "fri"]
max_per_day = 2
[channels.options]
api_base_url = "{x}"
[channels.secrets]
consumer_key = "env:XS_EXAMPLE_X_CONSUMER_KEY"
consumer_secret = "env:XS_EXAMPLE_X_CONSUMER_SECRET"
access_token = "env:XS_EXAMPLE_X_ACCESS_TOKEN"
access_token_secret = "env:XS_EXAMPLE_X_ACCESS_TOKEN_SECRET"
"""

# fmt: off
# (category, title, text, tags): what the team queued in February for the weeks ahead.
ITEMS = [
    ("announcement", "Xen Project announces Xen 4.21", "The hypervisor release for cloud and embedded", ["xen"]),
    ("release", "Xen 4.21: what is new for automotive", "Safety certification work and embedded boards", ["xen", "automotive"]),
    ("news", "Xen on RISC-V: the first boot", "A milestone for embedded virtualization", ["xen"]),
    ("blog", "How the Xen security team handles a disclosure", "Our security process, step by step", ["security"]),
    ("event", "Meet the Xen community at the Embedded Systems Expo", "Booth 12, talks on mobile and automotive", ["community"]),
    ("resource", "Getting started with Xen in the cloud", "A tutorial for cloud operators", ["cloud"]),
    ("blog", "Contributor spotlight: the Arm port maintainers", "Meet the contributors behind Xen on Arm", ["community"]),
    ("news", "XenServer and Xen: a joint testing lab", "Shared test infrastructure for the cloud", ["xen"]),
    ("announcement", "Xen Project Summit 2026: call for papers", "Submit a talk before 30 April", ["community"]),
    ("blog", "Dom0less in production", "Static partitioning for embedded systems", ["xen"]),
    ("resource", "Xen security advisories: how to subscribe", "Stay informed about security fixes", ["security"]),
    ("news", "A new cloud provider runs on Xen", "Another public cloud built on the hypervisor", ["cloud"]),
    ("blog", "Virtualization for software-defined vehicles", "Why automotive makers pick a type-1 hypervisor", ["automotive"]),
    ("event", "Xen community call, March edition", "Agenda and how to join", ["community"]),
    ("release", "Xen 4.20.2 maintenance release", "Fixes, including security fixes", ["security"]),
    ("blog", "Mobile devices and mixed criticality", "Running Linux beside a safety RTOS on mobile hardware", ["mobile"]),
    ("resource", "The Xen Project FAQ, updated", "Answers for new contributors", ["community"]),
    ("news", "Graduation of the Xen Arm safety work", "Certification evidence now public", ["automotive"]),
    ("blog", "Live patching in the cloud with Xen", "No reboot needed for hypervisor fixes", ["cloud"]),
    ("announcement", "Xen Project welcomes three new member companies", "Growing the community of members", ["community"]),
    ("blog", "Fuzzing the hypervisor", "How security research keeps Xen robust", ["security"]),
    ("resource", "Xen for embedded: a reference design", "Boards, toolchains and a sample image", ["embedded"]),
    ("news", "Xen in the automotive grade Linux demo", "A cockpit and a cluster on one chip", ["automotive"]),
    ("blog", "Why unikernels still matter in the cloud", "Small guests, fast boots", ["cloud"]),
    ("event", "Xen hackathon, Cambridge", "Two days of hacking with the community", ["community"]),
    ("blog", "Scheduling real-time guests", "The RTDS and ARINC 653 schedulers explained", ["embedded"]),
    ("resource", "Migrating from another hypervisor to Xen", "A checklist for cloud operators", ["cloud"]),
    ("news", "Xen Project at a mobile industry forum", "Slides and recording available", ["mobile"]),
    ("blog", "A year of Xen security hardening", "What changed and why", ["security"]),
    ("blog", "First-time contributors: a how-to", "From patch to merge", ["community"]),
]
# A second round of the same subjects, as videos and in-depth pieces (not announcements).
ITEMS = ITEMS + [
    (c, f"{('Video', 'In depth')[n % 2]}: {t}", x, g)
    for n, (c, t, x, g) in enumerate(ITEMS)
    if c != "announcement"
]

CLIPS_2026 = [
    ("Xen 4.21 lands with new embedded features", "The Xen Project hypervisor adds boards", "Embedded Times", "release", 3),
    ("KVM and Xen compared for the cloud in 2026", "Two hypervisors, two philosophies", "Virtualization Weekly", "comparison", 5),
    ("Docker adds a new sandbox runtime", "Containers meet lightweight VMs", "Open Source Daily", "containers", 6),
    ("Automotive makers bet on Xen", "Software-defined vehicles need a hypervisor", "Car Software Review", "automotive", 9),
    ("Inside the Xen Project security process", "How disclosures are handled", "Security Ledger Example", "security", 11),
    ("KVM at the heart of a new private cloud", "An operator explains its choice", "Cloud Review", "cloud", 12),
    ("XenServer users weigh their options", "Licensing changes and the community edition", "Virtualization Weekly", "comparison", 16),
    ("Docker and Kubernetes: the state of containers", "Survey results", "Open Source Daily", "containers", 18),
    ("Xen Project Summit announces its dates", "The community meets in June", "Open Source Daily", "community", 19),
    ("Embedded virtualization: Xen, KVM and the rest", "A buyer's guide", "Embedded Times", "comparison", 23),
    ("A cloud start-up runs on Xen", "Unikernels in production", "Cloud Review", "cloud", 25),
    ("The hypervisor market in numbers", "Nothing new under the sun", "Market Watch Example", "", 26),
    ("Xen on RISC-V boots", "Another architecture for the hypervisor", "Embedded Times", "release", 30),
    ("Docker Desktop adds VM isolation", "A look at the new settings", "Dev Tools Example", "containers", 31),
]
CLIPS_2025 = [
    ("Xen 4.20 released", "Release notes", "Embedded Times", "release", 5),
    ("KVM turns 18", "A look back", "Virtualization Weekly", "", 10),
    ("Docker at ten-plus years", "Containers grow up", "Open Source Daily", "containers", 14),
    ("Xen in cars", "An automotive overview", "Car Software Review", "automotive", 20),
    ("Hypervisors for the edge", "Xen and KVM on small boards", "Embedded Times", "comparison", 27),
]
ACTIVITIES = [
    ("press-release", 4, "Xen Project announces Xen 4.21", "https://xenproject.example/news/xen-4-21?utm_source=newsroom", ""),
    ("press-release", 24, "Xen Project joins an automotive safety initiative", None, ""),
    ("interview", 10, "Interview on embedded virtualization", None, "Embedded Times"),
    ("interview", 26, "Podcast: the future of open hypervisors", None, "Open Source Daily"),
    ("analyst-briefing", 17, "Briefing on the 2026 roadmap", None, "Analyst Firm Example"),
    ("member-content", 12, "Member case study: Xen in industrial control", None, ""),
    ("member-content", 20, "Member blog: testing Xen on new silicon", None, ""),
    ("event", 27, "Xen hackathon, Cambridge", None, ""),
]
# fmt: on
PUBLIC_POSTS = {"Xen": 30, "KVM": 45, "Docker": 80}  # others' posts a day naming each


class SimClock:
    """The simulated time every component reads."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def quiet() -> None:
    """Silence: the components log every post and reading, and the planned 503s as errors."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    logging.basicConfig(level=logging.CRITICAL)


def audience(post_id: str, age: timedelta) -> tuple[int, int, int, int, int, int]:
    """(likes, reposts, replies, quotes, impressions, clicks) a post has at `age`: a fixed draw
    per post, grown like the square root of its age up to a week."""
    rng = random.Random(post_id)
    likes = rng.choice((4, 6, 9, 12, 15, 20, 28, 40, 75))
    share = min(1.0, max(age.total_seconds(), 0) / (7 * 86400)) ** 0.5
    return (
        round(likes * share),
        round(likes * share / rng.choice((3, 4, 5))),
        round(likes * share / rng.choice((6, 8, 10))),
        round(likes * share / 12),
        round(likes * share * rng.choice((35, 45, 60))),
        round(likes * share * 0.7),
    )


def grow_audience(mastodon: FakeMastodon, x: FakeX, now: datetime) -> None:
    for status in mastodon.statuses:
        likes, reposts, replies, _, _, _ = audience("m" + status.id, now - status.created_at)
        status.favourites, status.reblogs, status.replies = likes, reposts, replies
    for post in x.posts.values():
        counts = audience("x" + post.id, now - post.created_at)
        post.likes, post.reposts, post.replies, post.quotes = counts[:4]
        post.impressions, post.link_clicks = counts[4], counts[5]
        post.bookmarks = round(post.likes / 8)  # no draw of its own: the others stay as they were


def events(
    channels: Sequence[ChannelConfig], until: datetime
) -> Iterator[tuple[datetime, str, str]]:
    """(time, kind, channel) in time order: each channel's slots, a collection round every six
    hours, and the daily chores at 00:30 UTC."""
    queue: list[tuple[datetime, str, str]] = []
    for channel in channels:
        for at in slot_times(channel, START):
            if at >= until:
                break
            queue.append((at, "slot", channel.name))
    at = HISTORY
    while at < until:
        queue.append((at + timedelta(minutes=30), "daily", ""))
        for hours in (0, 6, 12, 18) if at >= START else (0,):  # before: followers only
            queue.append((at + timedelta(hours=hours, minutes=45), "collect", ""))
        at += timedelta(days=1)
    heapq.heapify(queue)
    while queue:
        yield heapq.heappop(queue)


def simulate(folder: Path, mastodon: FakeMastodon, x: FakeX, clock: SimClock) -> Path:
    config = folder / "xensocial.toml"
    config.write_text(
        CONFIG.format(data=folder, mastodon=mastodon.server.url, x=x.server.url),
        encoding="utf-8",
    )
    env = {**os.environ, **SECRETS}
    settings = load_settings(config, env=env)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    queue, ledger = ContentQueue(engine, clock), Ledger(engine, clock)
    clock.now = HISTORY
    for n, (category, title, text, tags) in enumerate(ITEMS):
        release = n == 0  # the release announcement waits for release day, then goes first
        queue.add(NewItem(
            url=f"https://xenproject.example/{'news/xen-4-21' if release else f'posts/{n}'}",
            title=title, text=text, category=category, tags=tags,
            channels=settings.channel_names, not_before=RELEASE_DAY if release else None,
            priority=5 if release else 0,
        ))  # fmt: skip
    channels = list(settings.channels)
    adapters = {c.name: build_adapter(settings, c, clock=clock, env=env) for c in channels}
    publisher = Publisher(ledger, adapters, settings, identity="example", clock=clock,
                          sleep=lambda seconds: True)  # fmt: skip
    counts = KeywordCounts.for_settings(settings, engine, adapters, clock=clock)
    collector = Collector(MetricsStore(engine, clock), settings.metrics, channels, adapters,
                          clock=clock, keyword_counts=counts)  # fmt: skip
    by_name = {c.name: c for c in channels}
    rng = random.Random(2026)
    pause = (datetime(2026, 3, 16, 6, tzinfo=UTC), datetime(2026, 3, 20, 18, tzinfo=UTC))
    failed_once = False
    for at, kind, name in events(channels, END):
        clock.now = at
        if kind == "slot":
            if name == "xen-news" and at.date() == pause[0].date() and at < pause[1]:
                ledger.pause("xen-news", "the web team's release week", by="example")
            if name == "xen-news" and at > pause[1]:
                ledger.resume("xen-news", by="example")
            if name == "xen-x" and at.date() == date(2026, 3, 12) and not failed_once:
                x.server.fault("POST", "/2/tweets", server_error(503), times=3)
                failed_once = True
            publisher.run_slot(by_name[name], at)
        elif kind == "collect":
            grow_audience(mastodon, x, at)
            collector.run_round()
        else:
            mastodon.followers += rng.randint(3, 14)
            x.followers += rng.randint(10, 40)
            for word, per_day in PUBLIC_POSTS.items():
                for n in range(per_day + rng.randint(-per_day // 4, per_day // 4)):
                    x.add_public_post(f"Reading about {word} today #{n}",
                                      at - timedelta(hours=12, minutes=n))  # fmt: skip
    for adapter in adapters.values():
        adapter.close()
    coverage(engine, clock)
    engine.dispose()
    return config


def coverage(engine: Engine, clock: SimClock) -> None:
    clock.now = END
    clips = ClipStore(engine, clock)
    for year, rows in ((2026, CLIPS_2026), (2025, CLIPS_2025)):
        for n, (title, summary, outlet, topic, day) in enumerate(rows):
            slug = f"{year}/{n}-{title.lower().replace(' ', '-')[:40]}"
            clips.add(NewClip(f"https://news.example/{slug}", date(year, 3, day), title, summary,
                              outlet, topic, source="csv"))  # fmt: skip
    activities = ActivityStore(engine, clock)
    for kind, day, title, url, outlet in ACTIVITIES:
        activities.add(NewActivity(kind, date(2026, 3, day), title, url, outlet))


def report(config: Path) -> None:
    env = {**os.environ, **SECRETS}
    env.pop("XENSOCIAL_CONFIG", None)
    for fmt in ("md", "html", "csv", "json", "pdf"):
        out = EXAMPLES / f"report-2026-03.{fmt}"
        done = subprocess.run(
            [sys.executable, "-m", "xensocial", "--config", str(config), "report", "monthly",
             "--month", "2026-03", "--out", str(out)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        print(done.stdout.strip())


def charts(config: Path, folder: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        print("chromium is not installed: docs/images/report-charts.png not made")
        return
    settings = load_settings(config, env={**os.environ, **SECRETS})
    engine = make_engine(settings.database_url)
    made = build_report(engine, parse_month("2026-03", settings.timezone), settings.report,
                        settings.channel_names, now=END)  # fmt: skip
    engine.dispose()
    page = folder / "charts.html"
    page.write_text(render_charts_page(made), encoding="utf-8")
    IMAGES.mkdir(parents=True, exist_ok=True)
    png = IMAGES / "report-charts.png"
    done = screenshot(chromium, page, png, folder / "chromium", size=(900, 780))
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    print(f"Wrote the charts to {png}.")


def main() -> int:
    quiet()
    clock = SimClock(START)
    with tempfile.TemporaryDirectory(prefix="xs-example-") as tmp, FakeServer() as m_server, \
            FakeServer() as x_server:  # fmt: skip
        mastodon = FakeMastodon(m_server, token=MASTODON_TOKEN, followers=2310, clock=clock)
        x = FakeX(x_server, clock=clock, followers=12480)
        config = simulate(Path(tmp), mastodon, x, clock)
        report(config)
        charts(config, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
