"""Where things are, named once: the checkout, the shared test data, the feed documents.

Tests sit at different depths of `tests/` (a layer, then a feature); a path counted up from a
test's own file (`parents[2]`) silently points elsewhere when the file moves, so they ask here.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FEEDS", "ROOT", "SHARED"]

ROOT = Path(__file__).resolve().parents[1]
"""The checkout: README.md, pyproject.toml, config/, docs/, bench/."""

SHARED = ROOT.parent / "shared"
"""`../shared` beside the checkout: test data too big or too foreign to keep in it."""

FEEDS = ROOT / "tests" / "data" / "feeds"
"""Feed documents served by the intake tests of every layer."""
