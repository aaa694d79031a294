"""Images made with Pillow for the media tests: real files of every kind the tests need."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

__all__ = ["gif", "jpeg", "png", "truncated_png"]


def png(path: Path, size: tuple[int, int] = (64, 48), color: str = "navy") -> Path:
    Image.new("RGB", size, color).save(path, "PNG")
    return path


def jpeg(path: Path, size: tuple[int, int] = (64, 48), color: str = "orange") -> Path:
    Image.new("RGB", size, color).save(path, "JPEG")
    return path


def gif(path: Path, size: tuple[int, int] = (32, 32)) -> Path:
    Image.new("P", size, 3).save(path, "GIF")
    return path


def truncated_png(path: Path) -> Path:
    """A real PNG of noise cut in half: the header is whole, the pixels are not."""
    import os

    image = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    image.save(path, "PNG")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path
