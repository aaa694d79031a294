"""A minimal xensocial adapter: each post is one JSON file in a folder.

The "network" is a folder (option `folder`, relative to the data directory). A post is written
as `<n>-<key>.json`, `n` counting up so a listing is in posting order; finding a post is
looking for its key's file, so the lookup is authoritative (`lookup_is_reliable = True`).
Posts are at most 200 characters, each link counting 20, to show a network with its own rules.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from xensocial.adapters import (
    AccountInfo,
    Adapter,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    TextLimits,
    TransientError,
)

__all__ = ["FolderAdapter"]


class FolderAdapter(Adapter):
    name: ClassVar[str] = "folder"  # the entry point's name
    limits: ClassVar[TextLimits] = TextLimits(max_length=200, url_length=20)
    lookup_is_reliable: ClassVar[bool] = True

    def __init__(self, context: ChannelContext) -> None:
        super().__init__(context)
        folder = context.options.get("folder")
        if not isinstance(folder, str) or not folder:
            raise ValueError("folder: expected the folder to write posts into")
        self.folder = context.data_dir / Path(folder).expanduser()

    def _result(self, path: Path) -> PublishResult:
        record = json.loads(path.read_text(encoding="utf-8"))
        published_at = datetime.fromisoformat(record["published_at"])
        return PublishResult(path.stem, path.as_uri(), published_at)

    def publish(self, post: Post) -> PublishResult:
        record = {"key": post.key, "text": post.text, "url": post.url}
        record["published_at"] = self.context.clock().isoformat()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            n = len(list(self.folder.glob("*.json"))) + 1
            path = self.folder / f"{n:06d}-{post.key}.json"
            with path.open("x", encoding="utf-8") as f:  # "x": never overwrite a post
                json.dump(record, f)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise TransientError(f"cannot write to {self.folder}: {exc.strerror}") from exc
        return self._result(path)

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        for path in self.folder.glob(f"*-{post.key}.json"):
            return self._result(path)
        return None

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        now = self.context.clock()  # a folder has no audience: every counter is None
        return [Engagement(r, now) for r in remote_ids if (self.folder / f"{r}.json").exists()]

    def fetch_followers(self) -> int | None:
        return None

    def verify(self) -> AccountInfo:
        return AccountInfo(account=str(self.folder), followers=None, url=self.folder.as_uri())
