"""Helpers for the publishing tests: settings, a fake network, a recording sleep.

The fake network is an Adapter subclass written here: it stands for the network (posts it
"accepted", errors it is told to raise), never for our own code.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from content_queue import ContentQueue, NewItem
from xensocial.adapters.base import (
    AccountInfo,
    Adapter,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    TextLimits,
    TransientError,
)
from xensocial.config import ChannelConfig, PublishingConfig, Settings


def make_channel(name: str = "demo", network: str = "outbox", **kw: Any) -> ChannelConfig:
    kw.setdefault("timezone", "UTC")
    kw.setdefault("slots", (time(9, 30),))
    kw.setdefault("max_per_day", 10)
    return ChannelConfig(name=name, network=network, **kw)


def make_settings(data_dir: Path, channels: Sequence[ChannelConfig], **publishing: Any) -> Settings:
    publishing.setdefault("backoff", timedelta(seconds=2))
    publishing.setdefault("backoff_max", timedelta(seconds=3))
    return Settings(
        source="test.toml",
        database_url="sqlite://",
        timezone="UTC",
        data_dir=data_dir,
        identity="host-a",
        catch_up_grace=timedelta(hours=1),
        auto_migrate=True,
        import_at_start=(),
        log_level="info",
        log_format="json",
        publishing=PublishingConfig(**publishing),
        channels=tuple(channels),
        config_dir=data_dir,
    )


class PostedThenLost:
    """Script entry: the post goes out, but the answer is lost (a read timeout)."""


class FakeNetwork(Adapter):
    """A network in memory. `script` lists what successive publish calls do: None succeeds,
    an exception is raised, PostedThenLost posts and then raises a maybe_posted timeout.
    `lookup_script` likewise for find_published (None answers from what was posted)."""

    name = "fake"
    limits = TextLimits(max_length=500)
    lookup_is_reliable = True

    def __init__(
        self,
        context: ChannelContext,
        script: Iterable[object] = (),
        lookup_script: Iterable[object] = (),
    ) -> None:
        super().__init__(context)
        self.script = list(script)
        self.lookup_script = list(lookup_script)
        self.posted: list[Post] = []
        self.publish_calls = 0
        self.lookups = 0

    def publish(self, post: Post) -> PublishResult:
        self.publish_calls += 1
        action = self.script.pop(0) if self.script else None
        if isinstance(action, PostedThenLost):
            self.posted.append(post)
            raise TransientError("read timeout", maybe_posted=True)
        if isinstance(action, BaseException):
            raise action
        self.posted.append(post)
        return PublishResult(f"fake-{len(self.posted)}", None, self.context.clock())

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        self.lookups += 1
        action = self.lookup_script.pop(0) if self.lookup_script else None
        if isinstance(action, BaseException):
            raise action
        for i, p in enumerate(self.posted, 1):
            if p.key == post.key:
                return PublishResult(f"fake-{i}", None, self.context.clock())
        return None

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        return []

    def fetch_followers(self) -> int | None:
        return None

    def verify(self) -> AccountInfo:
        return AccountInfo("fake", None)


class UnreliableNetwork(FakeNetwork):
    """A network whose search may miss a post that is out (like X's)."""

    lookup_is_reliable = False


class Sleeps:
    """A `sleep` for the publisher: records each wait; answers False (stop) from `stop_at` on."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.waits: list[float] = []
        self.stop_at = stop_at

    def __call__(self, seconds: float) -> bool:
        if seconds > 0:
            self.waits.append(seconds)
        return self.stop_at is None or len(self.waits) < self.stop_at


_serial = itertools.count()


def add_items(queue: ContentQueue, n: int, channels: Sequence[str] = ("demo",)) -> list[int]:
    """Add `n` approved items for `channels`, oldest first (each URL new)."""
    return [
        queue.add(
            NewItem(url=f"https://example.org/post/{i}", title=f"Post {i}", channels=channels)
        ).id
        for i in (next(_serial) for _ in range(n))
    ]
