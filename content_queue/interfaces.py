"""What the queue's two storage paths both offer, written down as `Protocol`s.

The queue is stored through two paths: the ORM (`ContentQueue`, SQLAlchemy) and the plain DB-API
drivers (`fastread.FastReader`, `fastwrite.FastWriter`), which the fast CLI commands use on a
database at the scripts' head so they never import SQLAlchemy. A caller that takes either path
(`xensocial.cli.app.App.reader` and `.writer`) is typed with these protocols, not with a union
of the classes, so it can only call what both paths implement, with the same arguments and the
same answers (tests/storage/queue/test_fastread.py and test_fastwrite.py compare them on random data).

Both paths are checked against the protocols by mypy (`_both_paths_conform`, below): a method
renamed or changed on one path alone is a type error. Light on purpose: only `views` at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .views import ItemView, NewItem, Thread

if TYPE_CHECKING:
    from .fastread import FastReader
    from .fastwrite import FastWriter
    from .queue import ContentQueue

__all__ = ["QueueReader", "QueueWriter"]


class QueueReader(Protocol):
    """Reading items, as `queue list` and `queue show` do (`ContentQueue`, `FastReader`)."""

    def get(self, item_id: int) -> ItemView:
        """The item with its deliveries; raises ItemNotFound."""
        ...

    def list_items(
        self,
        *,
        state: str | None = None,
        channel: str | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[ItemView]:
        """Items by an item or delivery state and a channel, newest first unless told;
        raises InvalidItem for a state that is none (see `ContentQueue.list_items`)."""
        ...

    def item_thread(self, item_id: int) -> Thread:
        """The item's replies and its deliveries' thread parts (`thread_store.ThreadReads`)."""
        ...


class QueueWriter(Protocol):
    """Adding an item, as `queue add` does (`ContentQueue`, `FastWriter`)."""

    def find_duplicate(self, url: str) -> ItemView | None:
        """The item `url` would duplicate (`duplicates`), or None."""
        ...

    def add(self, new: NewItem, *, allow_duplicate: bool = False) -> ItemView:
        """One item, a pending delivery per channel and its audit entry, in one transaction;
        raises InvalidItem for a bad field and DuplicateItem for a duplicate URL."""
        ...


if TYPE_CHECKING:

    def _both_paths_conform(
        orm: ContentQueue, reader: FastReader, writer: FastWriter
    ) -> tuple[QueueReader, QueueReader, QueueWriter, QueueWriter]:
        return orm, reader, orm, writer  # mypy: each is what its protocol says
