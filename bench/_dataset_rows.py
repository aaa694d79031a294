"""The rows of the benchmark dataset (`_dataset`): what a realistic queue at scale holds.

What the data looks like (deterministic for a seed):

- channels `ch-0000` ... grouped by project, 4 channels per project; each channel has a network
  (x, mastodon, facebook, bluesky, linkedin, outbox in turn), a time zone, two slots a day and,
  for 3 channels in 5, a content mix (`channel_spec`);
- items belong to a project and target 1 to 4 of its channels (a delivery each), with a
  category (news, resource, article, event, announcement, release), a priority (mostly 0),
  tags; `published` of them (95 %) are history: created over the past two years, every delivery
  published at one of its channel's slots a day or two later (1 % failed, a few unknown; one
  in 200 pinned to a time, and published then; half the events dated, in the past), with its
  record of what went out (title, rendered text, link with a UTM source, tags);
- the rest is the live queue, mostly the newest items (a tenth are old stragglers): approved
  and pending, some partly published already, with drafts, cancelled and expired items, items
  embargoed (`not_before` ahead) or pinned (`publish_at` ahead), and events to come (some
  already announced on a channel, a few with a reminder made; reminders of past events were
  made and posted); few announcements wait (they go out at the next slot);
- 3 % of the published resources are evergreen, some already recycled once; engagement samples
  for the evergreen posts and the last 30 days of posts; slot claims for the last 60 days of
  posts; 2 % of channels paused, 2 % with a blackout of their own, and a past blackout of all.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["VERSION", "ChannelSpec", "Generator", "channel_names", "channel_spec"]

VERSION = 5  # of the generator: a change to the data it makes must bump it
NETWORKS = ("x", "mastodon", "facebook", "bluesky", "linkedin", "outbox")
ZONES = (
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/London",
)
SLOT_PAIRS = (("09:30", "15:00"), ("08:00", "17:30"), ("10:15", "19:45"), ("07:45", "12:30"))
MIXES = (
    {"news": 0.4, "resource": 0.3, "article": 0.2, "event": 0.1},
    {"news": 0.5, "article": 0.3, "resource": 0.2},
)
CATEGORIES = (
    ("news", 40),
    ("resource", 25),
    ("article", 18),
    ("event", 10),
    ("announcement", 3),
    ("release", 4),
)
TAGS = ("xen", "virtualization", "security", "embedded", "cloud", "release", "community", "arm")
PER_PROJECT = 4
HISTORY = timedelta(days=730)
REMINDERS = (timedelta(days=7), timedelta(days=1))
AGES = (3_600, 86_400, 604_800, 2_592_000)


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of the dataset, as both the data and the configuration see it."""

    name: str
    network: str
    project: int
    zone: str
    slots: tuple[str, str]
    mix: dict[str, float] | None
    paused: bool
    blackout: bool


def _posted(item: dict[str, Any], spec: ChannelSpec, published: bool) -> dict[str, Any]:
    """A delivery's record of what went out (migration 0008): for a published one, the item's
    words rendered as the default template does (body, link with a UTM source, hashtags)."""
    if not published:
        return dict.fromkeys(_POSTED_COLUMNS)
    url = f"{item['url']}?utm_source={spec.network}"
    hashtags = " ".join(f"#{t}" for t in item["tags"])
    return {
        "posted_title": item["title"],
        "posted_text": f"{item['text'] or item['title']}\n\n{url}\n\n{hashtags}",
        "posted_url": url,
        "posted_canonical_url": item["canonical_url"],
        "posted_tags": list(item["tags"]),
        "posted_media": None,
    }


_POSTED_COLUMNS = ("posted_title", "posted_text", "posted_url", "posted_canonical_url",
                   "posted_tags", "posted_media")  # fmt: skip


def channel_names(channels: int) -> list[str]:
    return [f"ch-{n:04d}" for n in range(channels)]


def channel_spec(n: int) -> ChannelSpec:
    """The `n`-th channel (names, networks, zones and slots vary with n, not with the seed)."""
    return ChannelSpec(
        name=f"ch-{n:04d}",
        network=NETWORKS[n % len(NETWORKS)],
        project=n // PER_PROJECT,
        zone=ZONES[(n // 3) % len(ZONES)],
        slots=SLOT_PAIRS[(n // 2) % len(SLOT_PAIRS)],
        mix=MIXES[n % 2] if n % 5 < 3 else None,
        paused=n % 50 == 7,
        blackout=n % 50 == 13,
    )


class Generator:
    """Yields (table, row) in an order the loader can write (see `_Loader`)."""

    def __init__(self, channels: int, items: int, published: float, seed: int, now: datetime):
        self.rng = random.Random(seed)
        self.now = now
        self.items = items
        self.specs = [channel_spec(n) for n in range(channels)]
        self.projects = math.ceil(channels / PER_PROJECT)
        self.by_project = [
            self.specs[p * PER_PROJECT : (p + 1) * PER_PROJECT] for p in range(self.projects)
        ]
        live = round(items * (1 - published))
        recent = round(live * 0.9)
        self.live = set(range(items - recent + 1, items + 1))
        older = range(1, items - recent + 1)
        self.live.update(self.rng.sample(older, min(len(older), live - recent)))
        self.delivery_id = 0
        self.next_item = items
        self.claimed: set[tuple[str, datetime]] = set()
        self.announced: list[tuple[dict[str, Any], ChannelSpec]] = []  # events gone out somewhere
        self._slot_cache: dict[tuple[str, str, date], datetime] = {}
        self.categories = [c for c, _ in CATEGORIES]
        self.weights = [w for _, w in CATEGORIES]

    def slot_at(self, spec: ChannelSpec, day: date, which: int) -> datetime:
        """The UTC time of the channel's `which`-th slot on its local `day`."""
        hhmm = spec.slots[which]
        key = (spec.zone, hhmm, day)
        found = self._slot_cache.get(key)
        if found is None:
            local = datetime.combine(day, clock_time.fromisoformat(hhmm), ZoneInfo(spec.zone))
            found = self._slot_cache[key] = local.astimezone(UTC)
        return found

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        rng, now = self.rng, self.now
        step = HISTORY / self.items
        start = now - HISTORY
        evergreens: list[tuple[int, dict[str, Any], list[tuple[int, ChannelSpec, datetime]]]] = []
        for i in range(1, self.items + 1):
            live = i in self.live
            created = start + step * i
            item = self.item_row(i, created)
            if live:
                self.make_live(item)
            elif rng.random() < 0.005:  # pinned to a time, and out at that time
                item["publish_at"] = (created + timedelta(days=1)).replace(second=0, microsecond=0)
            elif item["category"] == "event" and rng.random() < 0.5:  # a past event, dated
                item["event_at"] = item["expires_at"] = created + timedelta(days=rng.randint(5, 40))
            yield "items", item
            project = self.by_project[i % self.projects]
            targets = rng.sample(project, min(len(project), rng.choice((1, 1, 2, 2, 3, 3, 4))))
            posts = []
            for spec in targets:
                delivery, at = self.delivery_row(item, spec, live)
                yield "deliveries", delivery
                if at is not None:
                    posts.append((delivery["id"], spec, at))
                    yield from self.claim(spec, at, i)
                    if now - at < timedelta(days=30):
                        yield from self.samples(delivery["id"], spec, at)
            if item["evergreen"] and posts:
                evergreens.append((i, item, posts))
            if item["event_at"] is not None and posts:
                self.announced.append((item, posts[0][1]))
        yield from self.extras(evergreens)

    def item_row(self, i: int, created: datetime) -> dict[str, Any]:
        rng = self.rng
        category = rng.choices(self.categories, self.weights)[0]
        project = i % self.projects
        url = f"https://p{project}.example.org/posts/{i}"
        return {
            "id": i,
            "url": url,
            "canonical_url": url,  # already canonical: lower-case host, no query, no slash
            "title": f"Project {project}: post {i} about {rng.choice(TAGS)}",
            "text": "" if i % 3 else f"Notes on {rng.choice(TAGS)} and {rng.choice(TAGS)}.",
            "category": category,
            "tags": rng.sample(TAGS, rng.randint(1, 3)),
            "source": ("csv", "feed", "manual")[i % 3],
            "priority": rng.choice((0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 5)),
            "not_before": None,
            "expires_at": None,
            "state": "approved",
            "created_at": created,
            "created_by": "bench",
            "updated_at": created,
            "evergreen": category == "resource" and rng.random() < 0.03,
            "recycled_from": None,
            "reminder_of": None,
            "alt_text": None,
            "event_at": None,
            "publish_at": None,
            "approved_by": "bench",
            "approved_at": created,
        }

    def make_live(self, item: dict[str, Any]) -> None:
        """Turn a history item into one of the live queue's (see the module docstring)."""
        rng, now = self.rng, self.now
        item["evergreen"] = False
        if item["category"] == "announcement" and rng.random() < 0.9:
            item["category"] = "news"  # announcements go out at the next slot: few wait
        roll = rng.random()
        if roll < 0.10:
            item.update(state="draft", approved_by=None, approved_at=None)
        elif roll < 0.15:
            item["state"] = "cancelled"
        elif roll < 0.18:
            item["expires_at"] = now - timedelta(days=rng.randint(1, 20))
        elif roll < 0.23:
            item["not_before"] = now + timedelta(hours=rng.randint(2, 24 * 20))
        elif roll < 0.235:
            item["publish_at"] = now + timedelta(hours=rng.randint(1, 24 * 14), minutes=17)
        if item["category"] == "event" and rng.random() < 0.3 and item["state"] == "approved":
            item["event_at"] = now + timedelta(days=rng.randint(2, 40), hours=rng.randint(8, 18))
            item["expires_at"] = item["event_at"]

    def delivery_row(
        self, item: dict[str, Any], spec: ChannelSpec, live: bool
    ) -> tuple[dict[str, Any], datetime | None]:
        rng, now = self.rng, self.now
        self.delivery_id += 1
        created: datetime = item["created_at"]
        state, at, error = "pending", None, None
        partly = (
            item["state"] == "approved"
            and item["not_before"] is None
            and item["publish_at"] is None
            and rng.random() < 0.3
        )
        if not live or partly:
            day = created.date() + timedelta(days=rng.randint(1, 2))
            at = item["publish_at"] or self.slot_at(spec, day, rng.randint(0, 1))
            if at >= now:
                at = None
            else:
                roll = rng.random()
                state = "published" if roll < 0.99 else "failed" if roll < 0.998 else "unknown"
                if state != "published":
                    error, at = "rejected: the network refused the post", None
        return {
            "id": self.delivery_id,
            "item_id": item["id"],
            "channel": spec.name,
            "state": state,
            "idempotency_key": f"xs-bench-{self.delivery_id}",
            "attempts": 0 if state == "pending" else 1,
            "last_error": error,
            "remote_id": f"r{self.delivery_id}" if at else None,
            "remote_url": f"https://{spec.network}.example/p/{self.delivery_id}" if at else None,
            "published_at": at,
            "owner": None,
            "lease_expires_at": None,
            "sort_priority": item["priority"],
            "sort_created_at": created,
            "updated_at": at or created,
            "text_override": None,
            "sort_category": item["category"],
            **_posted(item, spec, state == "published" and at is not None),
        }, at

    def claim(self, spec: ChannelSpec, at: datetime, item_id: int) -> Iterator[tuple[str, Any]]:
        if self.now - at > timedelta(days=60) or (spec.name, at) in self.claimed:
            return
        self.claimed.add((spec.name, at))
        yield (
            "slot_claims",
            {
                "channel": spec.name,
                "slot_at": at,
                "claimed_by": "bench",
                "claimed_at": at,
                "outcome": "published",
                "item_id": item_id,
                "detail": None,
                "finished_at": at,
            },
        )

    def samples(
        self, delivery_id: int, spec: ChannelSpec, at: datetime
    ) -> Iterator[tuple[str, Any]]:
        rng = self.rng
        base = rng.randint(0, 40)
        for age in AGES:
            taken = at + timedelta(seconds=age)
            if taken > self.now:
                break
            grown = base * (1 + AGES.index(age))
            yield (
                "engagement_samples",
                {
                    "delivery_id": delivery_id,
                    "channel": spec.name,
                    "age_seconds": age,
                    "taken_at": taken,
                    "found": True,
                    "likes": grown,
                    "reposts": grown // 4,
                    "replies": grown // 8,
                    "quotes": None if spec.network != "x" else grown // 16,
                    "impressions": None,
                    "clicks": None,
                },
            )

    def extras(
        self, evergreens: list[tuple[int, dict[str, Any], list[tuple[int, ChannelSpec, datetime]]]]
    ) -> Iterator[tuple[str, Any]]:
        """Engagement of the evergreen posts, recycles, reminders, pauses and blackouts."""
        from content_queue.events import reminder_key
        from content_queue.recycling import recycle_key

        rng, now = self.rng, self.now
        for item_id, item, posts in evergreens:
            for delivery_id, spec, at in posts:
                if now - at >= timedelta(days=30):  # the recent ones have theirs already
                    yield from self.samples(delivery_id, spec, at)
            if rng.random() < 0.3:
                _, spec, at = posts[0]
                made = at + timedelta(days=rng.randint(60, 200))
                if made < now:
                    yield from self.derived(item, spec, made, recycle_key(item_id, spec.name, 1),
                                            recycled_from=item_id)  # fmt: skip
        # Events to come that went out on a channel: some have their first reminder made.
        for event, spec in self.announced:
            reminder_at = event["event_at"] - REMINDERS[0]
            if reminder_at <= now and rng.random() < 0.5:
                key = reminder_key(event["id"], REMINDERS[0], spec.name)
                yield from self.derived(event, spec, reminder_at, key, reminder_of=event["id"])
        for spec in self.specs:
            if spec.paused:
                yield (
                    "channel_states",
                    {
                        "channel": spec.name,
                        "paused": True,
                        "pause_reason": "token revoked",
                        "paused_at": now - timedelta(days=2),
                        "paused_by": "bench",
                    },
                )
            if spec.blackout:
                begins = now + timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 23))
                yield "blackouts", self.blackout(spec.name, begins, timedelta(hours=12))
        yield "blackouts", self.blackout(None, now - timedelta(days=100), timedelta(days=1))

    def derived(
        self,
        original: dict[str, Any],
        spec: ChannelSpec,
        made: datetime,
        key: str,
        *,
        recycled_from: int | None = None,
        reminder_of: int | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """A recycle or a reminder of `original` for `spec`'s channel, made at `made`."""
        self.next_item += 1
        item = self.item_row(self.next_item, made)
        item.update(
            url=original["url"],
            canonical_url=original["canonical_url"],
            title=original["title"],
            category=original["category"],
            priority=original["priority"],
            evergreen=False,
            recycled_from=recycled_from,
            reminder_of=reminder_of,
            event_at=original.get("event_at"),
            expires_at=original.get("event_at"),
            not_before=made if reminder_of else None,
        )
        yield "items", item
        # A reminder of an event to come may still wait; the rest is history, out long ago.
        to_come = reminder_of is not None and original["event_at"] > self.now
        delivery, at = self.delivery_row(item, spec, live=to_come)
        delivery["idempotency_key"] = key
        yield "deliveries", delivery

    def blackout(self, channel: str | None, begins: datetime, length: timedelta) -> dict[str, Any]:
        return {
            "channel": channel,
            "starts_at": begins,
            "ends_at": begins + length,
            "reason": "maintenance" if channel else "conference week",
            "created_by": "bench",
            "created_at": begins - timedelta(days=3),
        }
