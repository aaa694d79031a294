"""npm packages some tests compare with or run (Bluesky's `@atproto/api`, axe-core), installed
once, at a pinned version, into a cache folder outside the repository
(`$XDG_CACHE_HOME/xensocial-tests/`, else `~/.cache/xensocial-tests/`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["cache_dir", "npm_install"]

_INSTALL_SECONDS = 300


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xensocial-tests"


def npm_install(target: Path, spec: str, files: Mapping[str, str] | None = None) -> str | None:
    """Install `spec` (`name@version`) into `target`, with `files` written beside it, atomically
    (a staging folder renamed); None, or why it failed."""
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (Debian: apt-get install nodejs npm)"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(staging),
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--loglevel=error",
                spec,
            ],
            capture_output=True,
            text=True,
            timeout=_INSTALL_SECONDS,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            return f"npm install {spec} failed: {last}"
        for name, text in (files or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        with contextlib.suppress(OSError):  # another run installed it meanwhile: theirs will do
            staging.rename(target)
        return None
    except subprocess.TimeoutExpired:
        return f"npm install took over {_INSTALL_SECONDS} s (is the registry reachable?)"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
