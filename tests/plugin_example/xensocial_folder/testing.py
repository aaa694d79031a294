"""The folder adapter's contract-suite harness, for xensocial's `tests/contract`:

XENSOCIAL_CONTRACT_HARNESS=xensocial_folder.testing:harness pytest tests/contract
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.contract.harness import Harness, HarnessContext
from xensocial.adapters import ChannelContext

from . import FolderAdapter

__all__ = ["harness"]


@contextmanager
def harness(ctx: HarnessContext) -> Iterator[Harness]:
    folder = ctx.tmp_path / "posts"
    adapter = FolderAdapter(
        ChannelContext(
            "folder", options={"folder": "posts"}, data_dir=ctx.tmp_path, clock=ctx.clock
        )
    )

    def remote_ids() -> list[str]:  # read from the folder itself, not through the adapter
        return sorted(p.stem for p in folder.glob("*.json"))

    yield Harness("folder", adapter, remote_ids=remote_ids, missing_id="000999-never-sent")
    adapter.close()
