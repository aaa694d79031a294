"""Bluesky's own facet detection (`RichText.detectFacets` of the npm package `@atproto/api`),
run in one node process, for tests that hold our facets to it.

The package is installed from the npm registry, once, into a cache folder outside the
repository (`$XDG_CACHE_HOME/xensocial-tests/`, else `~/.cache/xensocial-tests/`), at the
version pinned below: a new release of the package changes the reference only when this pin
is moved, on purpose. `Reference.start()` answers None, with the reason, when node or npm is
missing or the registry cannot be reached; the tests then skip, except under `CI=true`, where
they fail (`.ci/run` installs node and npm).

The node process reads one JSON string (a post's text) per line and writes the facets the app
would make of it as one JSON array per line, so a whole corpus, hypothesis's included, costs
one process start.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.npm import cache_dir, npm_install

__all__ = ["ATPROTO_API_VERSION", "Reference", "cache_dir", "unavailable"]

ATPROTO_API_VERSION = "0.21.0"  # needs node 18.20 or newer (import attributes)

_SCRIPT = r"""
const { createRequire } = require('module');
const path = require('path');
const readline = require('readline');
const { pathToFileURL } = require('url');

async function main() {
  // The package as installed in this folder (an ES module: imported, not required).
  const entry = createRequire(path.join(process.argv[2], 'reference.js')).resolve('@atproto/api');
  const { RichText } = await import(pathToFileURL(entry).href);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const rt = new RichText({ text: JSON.parse(line) });
    rt.detectFacetsWithoutResolution();  // mentions would need a network to resolve: unused
    process.stdout.write(JSON.stringify(rt.facets || []) + '\n');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
"""


def unavailable(reason: str) -> None:
    """Skip with `reason`; under CI=true fail instead: CI must compare, not pass by skipping."""
    import pytest

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the @atproto/api reference cannot run: {reason}")
    pytest.skip(f"the @atproto/api reference cannot run: {reason}")


def _install(target: Path) -> str | None:
    """Install the pinned package into `target` (atomically); None, or why it failed."""
    return npm_install(target, f"@atproto/api@{ATPROTO_API_VERSION}", {"reference.js": _SCRIPT})


class Reference:
    """The node process; `facets(text)` asks it about one text."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process

    @classmethod
    def start(cls) -> Reference | str:
        """The running reference, or why it cannot run."""
        node = shutil.which("node")
        if node is None:
            return "node is not installed (Debian: apt-get install nodejs npm)"
        target = cache_dir() / f"atproto-api-{ATPROTO_API_VERSION}"
        if not (target / "reference.js").is_file():
            problem = _install(target)
            if problem is not None:
                return problem
        process = subprocess.Popen(
            [node, str(target / "reference.js"), str(target)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        return cls(process)

    def facets(self, text: str) -> list[dict[str, Any]]:
        """Every facet the app makes of `text` (mentions included, their DIDs unresolved)."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        # ensure_ascii: the line stays one line whatever the text holds (U+2028 included).
        stdin.write(json.dumps(text, ensure_ascii=True) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            stderr = self._process.stderr.read() if self._process.stderr else ""
            raise RuntimeError(f"the reference process ended: {stderr[-2000:]}")
        found: list[dict[str, Any]] = json.loads(line)
        return found

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdout, self._process.stderr):
            if stream:
                stream.close()
