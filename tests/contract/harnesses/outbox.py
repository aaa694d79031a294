"""The outbox's harness: the "network" is the JSON Lines file, read here directly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from xensocial.adapters.base import ChannelContext
from xensocial.adapters.outbox import OutboxAdapter

from ..harness import Harness, HarnessContext, harness


@harness("outbox")
@contextmanager
def outbox(ctx: HarnessContext) -> Iterator[Harness]:
    path = ctx.tmp_path / "outbox.jsonl"

    def remote_ids() -> list[str]:
        if not path.exists():
            return []
        return [json.loads(line)["remote_id"] for line in path.read_text().splitlines() if line]

    adapter = OutboxAdapter(
        ChannelContext(
            "outbox", options={"path": str(path)}, data_dir=ctx.tmp_path, clock=ctx.clock
        )
    )
    yield Harness("outbox", adapter, remote_ids=remote_ids, missing_id="outbox:never-sent")
    adapter.close()
