"""Headless Chromium for the HTML report: render a file to PNG, and look at the PNG.

Used by the report's browser test and by docs/examples/make_example_report.py (the README's
chart picture). Chromium is Debian's `chromium` package; `.ci/run` installs it when missing.
With `--enable-logging=stderr` Chromium prints every console message of the page (a blocked
load, a script error) as a `CONSOLE` line, which is how "rendered without errors" is judged.
The PNG is read with zlib alone: its size, and how many distinct pixel rows it has (a blank
page has one).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CHROMIUM", "Png", "console_messages", "find_chromium", "read_png", "screenshot"]

CHROMIUM = "/usr/bin/chromium"
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def find_chromium() -> str | None:
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def screenshot(
    chromium: str, page: Path, png: Path, profile: Path, size: tuple[int, int] = (1200, 2000)
) -> subprocess.CompletedProcess[str]:
    """Open `page` (a local file) and write what the window shows to `png`."""
    return subprocess.run(
        [chromium, *_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
         f"--window-size={size[0]},{size[1]}", page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def console_messages(stderr: str) -> list[str]:
    """What the page itself said: Chromium's CONSOLE lines (CSP blocks, script errors)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    distinct_rows: int  # pixel rows that differ from each other (filter byte included)


def read_png(path: Path) -> Png:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, header = 8, b"", b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    stride = 1 + width * channels * depth // 8
    raw = zlib.decompress(idat)
    assert len(raw) == stride * height, "truncated image data"
    rows = {raw[i : i + stride] for i in range(0, len(raw), stride)}
    return Png(width, height, len(rows))
