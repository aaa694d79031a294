"""The outbox's harness: the "network" is the JSON Lines file, read here directly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from xensocial.adapters.base import ChannelContext
from xensocial.adapters.outbox import OutboxAdapter

from ..faults import FaultKind, Injected
from ..harness import Harness, HarnessContext, harness

_NO_HTTP = "the outbox is a local file: no HTTP, so no {}"


@harness("outbox")
@contextmanager
def outbox(ctx: HarnessContext) -> Iterator[Harness]:
    path = ctx.tmp_path / "outbox.jsonl"

    def remote_ids() -> list[str]:
        if not path.exists() or path.is_dir():
            return []
        return [json.loads(line)["remote_id"] for line in path.read_text().splitlines() if line]

    def replied_to(remote_id: str) -> str | None:
        lines = [json.loads(line) for line in path.read_text().splitlines() if line]
        return next((r.get("in_reply_to") for r in lines if r["remote_id"] == remote_id), None)

    def fault(kind: FaultKind) -> Injected:
        # The one failure a file has: it cannot be opened. A folder where the file should be
        # is that, for root too (who may write to any file mode).
        assert kind == "connection_refused", kind
        if path.exists():
            path.unlink()
        path.mkdir()
        return Injected()

    adapter = OutboxAdapter(
        ChannelContext(
            "outbox", options={"path": str(path)}, data_dir=ctx.tmp_path, clock=ctx.clock
        )
    )
    yield Harness(
        "outbox",
        adapter,
        remote_ids=remote_ids,
        replied_to=replied_to,
        missing_id="outbox:never-sent",
        fault=fault,
        cannot={
            "rate_limited": _NO_HTTP.format("rate limit"),
            "server_error": _NO_HTTP.format("server to fail"),
            "read_timeout": _NO_HTTP.format("answer to wait for"),
            "lost_response": "the outbox's write is its answer: fsynced before publish returns, "
            "so none can be lost",
            "duplicate": "the outbox refuses no repeat: a file takes every line; exactly-once "
            "rests on find_published, which matches the delivery key of each line",
            "revoked": "the outbox has no credentials to revoke",
            "lookup_rate_limited": _NO_HTTP.format("rate limit"),
            "lookup_server_error": _NO_HTTP.format("server to fail"),
            "lookup_read_timeout": _NO_HTTP.format("answer to wait for"),
        },
    )
    adapter.close()
