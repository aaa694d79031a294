"""Engagement and follower collection: what is due, within each network's monthly budget.

`budget` plans a round (pure functions); `collector` runs one through the adapters and appends
the readings to `content_queue.metrics_store`.
"""

from __future__ import annotations

__all__: list[str] = []
