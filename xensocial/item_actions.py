"""The checks before a change to items already queued: every id exists, every draft to approve
has words. `queue approve` and `queue cancel` and the web console's buttons call these, so a
refusal reads the same in a terminal and in a browser, and a change to several items is made to
all of them or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from content_queue.views import ItemView

from .errors import UsageError
from .item_rules import check_words

__all__ = ["check_approvable", "check_ids"]


class _Items(Protocol):
    def get(self, item_id: int) -> ItemView: ...


def check_ids(queue: _Items, ids: Sequence[int], action: str) -> None:
    """Every id exists; else UsageError naming every unknown id ("nothing was `action`")."""
    from content_queue.errors import ItemNotFound

    missing = []
    for item_id in dict.fromkeys(ids):
        try:
            queue.get(item_id)
        except ItemNotFound:
            missing.append(str(item_id))
    if missing:
        raise UsageError(f"no item with id {', '.join(missing)}; nothing was {action}")


def check_approvable(queue: _Items, ids: Sequence[int]) -> None:
    """Every draft among `ids` has words to post (`item_rules.check_words`), else nothing is
    approved: the daemon would post a bare link."""
    for item_id in dict.fromkeys(ids):
        item = queue.get(item_id)
        if item.state == "draft":
            check_words(item_id, item.title, item.text)
