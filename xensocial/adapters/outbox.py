"""The outbox adapter: posts are appended to a local JSON Lines file.

It is the embedded default (a fresh install posts somewhere visible without credentials) and
the reference implementation of the adapter contract. Each post is one line:

    {"channel": ..., "item_id": ..., "key": ..., "text": ..., "url": ..., "title": ...,
     "published_at": ..., "remote_id": ...,
     "images": [{"path": ..., "sha256": ..., "mime": ..., "alt": ..., "decorative": ...}]}

Each image is recorded by its file's absolute path in the media store, its SHA-256 and its alt
text (`images` is absent from a post without any): the outbox takes every image the store
accepts (`media_limits.OUTBOX_MEDIA`), so it is where the whole path of an image, from
`queue add --image` to the post, can be seen and tested without a network.

Writes take an exclusive `flock` (replicas on one host never interleave lines) and are fsynced
before `publish` returns, so a post that `publish` reported is on disk. `find_published` reads
the file back, which makes its answer authoritative: a line that is not there was never
written. A line torn by a crash is ignored, and the next write starts on a fresh line.

Options: `path` (required; relative paths are under the data directory); `delay` (for demos
and tests: simulates a slow network, a duration such as "300ms" waited before each write).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from ..durations import parse_duration
from ..filemodes import open_private, private_dir
from ._options import reject_unknown_options
from .base import (
    AccountInfo,
    Adapter,
    ChannelContext,
    Engagement,
    Post,
    PublishResult,
    TextLimits,
    TransientError,
)
from .media_limits import OUTBOX_MEDIA

__all__ = ["OutboxAdapter"]


class OutboxAdapter(Adapter):
    name: ClassVar[str] = "outbox"
    limits: ClassVar[TextLimits] = TextLimits(max_length=5000)
    media_limits = OUTBOX_MEDIA
    lookup_is_reliable: ClassVar[bool] = True

    def __init__(self, context: ChannelContext) -> None:
        super().__init__(context)
        reject_unknown_options(context.options, ("path", "delay"), "the outbox")
        delay = context.options.get("delay", "0s")
        if not isinstance(delay, str):
            raise ValueError(f"delay: expected a duration such as '300ms', got {delay!r}")
        try:
            self.delay = parse_duration(delay).total_seconds()
        except ValueError as exc:
            raise ValueError(f"delay: {exc}") from None
        raw = context.options.get("path")
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("path: expected the file to append posts to, e.g. 'outbox.jsonl'")
        path = Path(raw).expanduser()
        self.path = path if path.is_absolute() else context.data_dir / path

    def publish(self, post: Post) -> PublishResult:
        if self.delay:
            time.sleep(self.delay)  # a slow network, so tests can interrupt a post mid-way
        published_at = self.context.clock()
        remote_id = f"outbox:{post.key}"
        record = {
            "channel": post.channel,
            "item_id": post.item_id,
            "key": post.key,
            "text": post.text,
            "url": post.url,
            "title": post.title,
            "published_at": published_at.isoformat(),
            "remote_id": remote_id,
        }
        if post.images:
            record["images"] = [
                {
                    "path": str(self.context.data_dir / image.path),
                    "sha256": image.sha256,
                    "mime": image.mime,
                    "alt": image.alt,
                    "decorative": image.decorative,
                }
                for image in post.images
            ]
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            private_dir(self.path.parent)
            fd = open_private(self.path, os.O_RDWR | os.O_APPEND)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = "\n" + line  # a torn last line from a crash: start afresh
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)  # closing releases the lock
        except OSError as exc:
            raise TransientError(f"cannot write {self.path}: {exc.strerror}") from exc
        return PublishResult(remote_id, f"file://{self.path}#{post.key}", published_at)

    def _records(self) -> Iterator[dict[str, Any]]:
        try:
            with self.path.open(encoding="utf-8", errors="replace") as f:
                for raw in f:
                    try:
                        record = json.loads(raw)
                    except ValueError:
                        continue  # a line torn by a crash
                    if isinstance(record, dict):
                        yield record
        except FileNotFoundError:
            return
        except OSError as exc:
            raise TransientError(f"cannot read {self.path}: {exc.strerror}") from exc

    def find_published(self, post: Post, *, since: datetime) -> PublishResult | None:
        for record in self._records():
            if record.get("key") == post.key:
                return PublishResult(
                    str(record.get("remote_id") or f"outbox:{post.key}"),
                    f"file://{self.path}#{post.key}",
                    datetime.fromisoformat(str(record["published_at"])),
                )
        return None

    def fetch_engagement(self, remote_ids: Sequence[str]) -> list[Engagement]:
        # A file has no audience: every counter is unknown (None), never zero.
        wanted = set(remote_ids)
        now = self.context.clock()
        return [
            Engagement(remote_id=str(r["remote_id"]), fetched_at=now)
            for r in self._records()
            if r.get("remote_id") in wanted
        ]

    def fetch_followers(self) -> int | None:
        return None

    def verify(self) -> AccountInfo:
        folder = self.path.parent
        probe = folder if folder.exists() else folder.parent
        if not os.access(probe, os.W_OK):
            raise TransientError(f"{folder} is not writable")
        return AccountInfo(account=str(self.path), followers=None, url=f"file://{self.path}")
