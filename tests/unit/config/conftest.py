"""Writing configuration files for the configuration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

__all__ = ["CHANNEL", "WriteConfig"]

WriteConfig = Callable[[str], Path]

# A valid channel to build variants on: tests replace or add keys.
CHANNEL = """
[[channels]]
name = "demo"
network = "outbox"
slots = ["09:30", "15:00"]
"""


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write TOML text to tmp_path/xensocial.toml and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "xensocial.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
