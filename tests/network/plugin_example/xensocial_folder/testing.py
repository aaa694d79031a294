"""The folder adapter's contract-suite harness, for xensocial's `tests/network/contract`:

XENSOCIAL_CONTRACT_HARNESS=xensocial_folder.testing:harness pytest tests/network/contract
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.network.contract.faults import FaultKind, Injected
from tests.network.contract.harness import Harness, HarnessContext
from xensocial.adapters import ChannelContext

from . import FolderAdapter

__all__ = ["harness"]

NO_NETWORK = "a folder is no network: nothing answers, so no {}"


@contextmanager
def harness(ctx: HarnessContext) -> Iterator[Harness]:
    folder = ctx.tmp_path / "posts"
    adapter = FolderAdapter(
        ChannelContext(
            "folder", options={"folder": "posts"}, data_dir=ctx.tmp_path, clock=ctx.clock
        )
    )

    def remote_ids() -> list[str]:  # read from the folder itself, not through the adapter
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def fault(kind: FaultKind) -> Injected:
        # The folder's one failure: it cannot be reached. A file where it should be is that.
        assert kind == "connection_refused", kind
        folder.write_text("not a folder")
        return Injected()

    yield Harness(
        "folder",
        adapter,
        remote_ids=remote_ids,
        missing_id="000999-never-sent",
        fault=fault,
        cannot={
            "rate_limited": NO_NETWORK.format("rate limit"),
            "server_error": NO_NETWORK.format("server error"),
            "read_timeout": NO_NETWORK.format("answer to wait for"),
            "lost_response": "the file written is the answer: none can be lost",
            "duplicate": "a folder refuses no repeat (find_published matches the key instead)",
            "revoked": "no credentials",
            "lookup_rate_limited": NO_NETWORK.format("rate limit"),
            "lookup_server_error": NO_NETWORK.format("server error"),
            "lookup_read_timeout": NO_NETWORK.format("answer to wait for"),
        },
    )
    adapter.close()
