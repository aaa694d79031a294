"""Finding adapters: every adapter, built-in or third-party, is an entry point.

The group is `xensocial.adapters`; the entry point's name is the `network` a channel names, and
its value is the Adapter subclass (`package.module:Class`). Names are read from package metadata
without importing anything, so validating a configuration costs no network library import; the
class is imported only when a channel of that network is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

from .. import ADAPTER_GROUP as ENTRY_POINT_GROUP
from ..errors import XensocialError
from .base import Adapter

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdapterInfo",
    "AdapterLoadError",
    "UnknownAdapter",
    "available",
    "load",
]


class UnknownAdapter(XensocialError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(
            f"no adapter named {name!r} is installed (known: {', '.join(known) or 'none'})"
        )


class AdapterLoadError(XensocialError, ImportError):
    """The entry point exists but does not load, or is not an Adapter subclass."""


@dataclass(frozen=True)
class AdapterInfo:
    name: str
    target: str  # module:Class
    distribution: str  # the package that provides it


@cache
def _entry_points() -> dict[str, EntryPoint]:
    """Read once per process: reading every installed package's metadata costs about 1 to 3 ms,
    and a daemon or `queue add` with 1,000 channels asks once per channel. A package installed
    while a process runs is seen by the next process (each command is its own process)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> dict[str, AdapterInfo]:
    """Every installed adapter by name, without importing any of them."""
    out = {}
    for name, ep in sorted(_entry_points().items()):
        dist = ep.dist.name if ep.dist is not None else "?"
        out[name] = AdapterInfo(name=name, target=ep.value, distribution=dist)
    return out


@cache
def load(name: str) -> type[Adapter]:
    """Import and return the adapter class registered as `name` (once per process: see
    `_entry_points`; a failure is not cached, so it is raised again, naming the plugin)."""
    eps = _entry_points()
    if name not in eps:
        raise UnknownAdapter(name, sorted(eps))
    try:
        obj = eps[name].load()
    except Exception as exc:  # any import failure of a plugin must name the plugin
        raise AdapterLoadError(
            f"adapter {name!r} ({eps[name].value}) failed to load: {exc}"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Adapter)):
        raise AdapterLoadError(f"adapter {name!r} ({eps[name].value}) is not an Adapter subclass")
    return obj
