"""A publisher under editorial rules, over fake networks, for the publisher tests and the
simulated month: the real `Publisher.run_slot`, the real queue on either backend, a test clock.

The networks are `FakeNetwork`s (tests/daemon/conftest.py) that also report engagement: each
post's likes are what `likes` says for its item's title (so the real metrics collector can
record them, and recycling can rank the best performers)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from content_queue import ContentQueue, Ledger, NewItem
from content_queue.editorial_store import EditorialStore
from content_queue.schema import Delivery, Item
from tests.conftest import FakeClock
from tests.daemon.conftest import FakeNetwork, Sleeps, make_settings
from xensocial.adapters.base import ChannelContext, Engagement
from xensocial.config import ChannelConfig, Settings
from xensocial.config.editorial import EditorialConfig
from xensocial.publishing import Publisher, SlotResult

__all__ = ["EditorialRig", "Post", "ScoringNetwork"]

_serial = itertools.count()


class ScoringNetwork(FakeNetwork):
    """A fake network whose posts collect `likes[title]` likes (0 for an unknown title)."""

    def __init__(self, context: ChannelContext, likes: Mapping[str, int]) -> None:
        super().__init__(context)
        self.likes = likes
        self.titles: dict[str, str] = {}  # remote id -> the title of the item posted

    def publish(self, post: Any) -> Any:
        result = super().publish(post)
        self.titles[result.remote_id] = post.title
        return result

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        now = self.context.clock()
        return [
            Engagement(r, now, likes=self.likes.get(self.titles.get(r, ""), 0), reposts=0)
            for r in remote_ids
        ]


class Post:
    """One published delivery, as the tests read it back from the database."""

    def __init__(self, d: Delivery, i: Item) -> None:
        assert d.published_at is not None
        self.channel, self.at, self.item_id = d.channel, d.published_at, i.id
        self.category, self.title, self.text = i.category, i.title, i.text
        self.recycled_from, self.reminder_of = i.recycled_from, i.reminder_of
        self.event_at, self.publish_at = i.event_at, i.publish_at

    @property
    def origin(self) -> int:
        """The item this post is about: the original of a recycle, the event of a reminder."""
        return self.recycled_from or self.reminder_of or self.item_id


class EditorialRig:
    """Channels, their fake networks and one publisher, on `engine`."""

    def __init__(
        self,
        engine: Engine,
        clock: FakeClock,
        tmp_path: Path,
        channels: Sequence[ChannelConfig],
        editorial: EditorialConfig | None = None,
        *,
        likes: Mapping[str, int] | None = None,
        identity: str = "daemon@a",
        **settings: Any,
    ) -> None:
        self.engine, self.clock, self.channels = engine, clock, list(channels)
        editorial = editorial or EditorialConfig()
        self.settings: Settings = replace(
            make_settings(tmp_path, self.channels), editorial=editorial, **settings
        )
        self.nets = {
            c.name: ScoringNetwork(
                ChannelContext(c.name, data_dir=tmp_path, clock=clock), likes or {}
            )
            for c in self.channels
        }
        self.queue = ContentQueue(
            engine, clock, evergreen_categories=editorial.evergreen_categories
        )
        self.ledger = Ledger(engine, clock)
        self.store = EditorialStore(engine, clock)
        self.publisher = self.publisher_as(identity)

    def publisher_as(self, identity: str) -> Publisher:
        return Publisher(
            self.ledger,
            self.nets,
            self.settings,
            identity=identity,
            clock=self.clock,
            sleep=Sleeps(),
            queue=self.queue,
        )

    def channel(self, name: str) -> ChannelConfig:
        return next(c for c in self.channels if c.name == name)

    def add(self, title: str, channels: Sequence[str] | None = None, **fields: Any) -> int:
        """Add an approved item (a new URL each time) for `channels` (default: all)."""
        names = channels or [c.name for c in self.channels]
        url = f"https://example.org/{title.replace(' ', '-')}/{next(_serial)}"
        return self.queue.add(NewItem(url=url, channels=names, title=title, **fields)).id

    def run(self, channel: str, at: datetime, *, pinned: bool = False) -> SlotResult:
        """The slot (or pinned time) `at` of `channel`, run when it falls."""
        self.clock.set(max(self.clock(), at))
        return self.publisher.run_slot(self.channel(channel), at, pinned=pinned)

    def posts(self, channel: str | None = None) -> list[Post]:
        """Every published delivery (of `channel`), oldest first."""
        query = (
            select(Delivery, Item)
            .join(Item, Item.id == Delivery.item_id)
            .where(Delivery.state == "published")
            .order_by(Delivery.published_at, Delivery.id)
        )
        if channel is not None:
            query = query.where(Delivery.channel == channel)
        with self.ledger._sessions() as s:
            return [Post(d, i) for d, i in s.execute(query)]

    def recycles_of(self, item_id: int) -> list[int]:
        with self.ledger._sessions() as s:
            return list(s.scalars(select(Item.id).where(Item.recycled_from == item_id)))


def days(n: float) -> timedelta:
    return timedelta(days=n)
