"""axe-core, the accessibility engine, for the browser test of the web console.

The npm package is installed once, at the version pinned below, into the tests' cache folder
outside the repository (`tests/npm.py`). Its script is
evaluated in the page through the DevTools protocol, which the console's Content-Security-Policy
(no inline script) does not govern, so the page is checked exactly as it is served.
"""

from __future__ import annotations

from typing import Any

from tests.npm import cache_dir, npm_install

__all__ = ["AXE_CORE_VERSION", "axe_source", "serious_violations"]

AXE_CORE_VERSION = "4.14.1"


def axe_source() -> str:
    """axe.min.js, installed on first use; the reason as an OSError when it cannot be."""
    target = cache_dir() / f"axe-core-{AXE_CORE_VERSION}"
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        problem = npm_install(target, f"axe-core@{AXE_CORE_VERSION}")
        if problem is not None:
            raise OSError(problem)
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
