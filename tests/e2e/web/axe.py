"""axe-core, the accessibility engine, for the browser test of the web console.

The npm package is installed once, at the version pinned below, into the tests' cache folder
outside the repository (`$XDG_CACHE_HOME/xensocial-tests/`, else `~/.cache/xensocial-tests/`,
as `tests/network/adapters/atproto_reference.py` installs its reference). Its script is
evaluated in the page through the DevTools protocol, which the console's Content-Security-Policy
(no inline script) does not govern, so the page is checked exactly as it is served.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.network.adapters.atproto_reference import cache_dir

__all__ = ["AXE_CORE_VERSION", "axe_source", "serious_violations"]

AXE_CORE_VERSION = "4.14.1"


def axe_source() -> str:
    """axe.min.js, installed on first use; the reason as an OSError when it cannot be."""
    target = cache_dir() / f"axe-core-{AXE_CORE_VERSION}"
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise OSError("npm is not installed (Debian: apt-get install nodejs npm)")
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
                    f"axe-core@{AXE_CORE_VERSION}",
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise OSError(f"npm install axe-core@{AXE_CORE_VERSION} failed: {last}")
            with contextlib.suppress(OSError):  # another run installed it meanwhile
                staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return script.read_text(encoding="utf-8")


def serious_violations(page: Any, source: str) -> list[str]:
    """axe's serious and critical violations on `page`, one line each (rule: where)."""
    page.evaluate(f"() => {{ {source}\n; window.__axe = axe; }}")
    result = page.evaluate("async () => await window.__axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
