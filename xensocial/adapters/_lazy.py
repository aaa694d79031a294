"""Network client libraries: imported when a channel first calls its network, not before.

The daemon spends nearly all its life waiting for the next slot, and the client libraries are
most of what it would hold in memory while waiting: atproto's models take about 30 MB,
Mastodon.py, tweepy and requests another 25 MB together. So the adapters built on them import
the library, and build their client, on first use (a post, a lookup, a metrics read), and a
daemon whose queue is empty never loads them.

A missing library must still stop the start, where the configuration names the adapter (exit
2), not fail the first post hours later. `require` is called when the adapter's module is
imported (`registry.load`): it looks for the packages on the path without importing them, and
raises ImportError naming what is missing, which the registry reports as the adapter failing
to load.
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["require"]


def require(adapter: str, *packages: str) -> None:
    """Raise ImportError unless every top-level package in `packages` is installed."""
    missing = [name for name in packages if find_spec(name) is None]
    if missing:
        raise ImportError(
            f"the {adapter} adapter needs {', '.join(missing)}, which is not installed"
        )
