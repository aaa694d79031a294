"""The test suite's layout holds: layers at the top, slow folders out of the fast run, and every
test file the documentation names exists.

The layout is what a newcomer reads to find a test (README, Testing); a test moved without its
documentation, or a new folder at the top that no layer owns, would quietly make the map wrong.
The fast run is only fast if the slow folders stay out of it, which `tests/conftest.py` does by
folder: this checks the marks against a real collection, not against the hook's own table.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import FOLDER_MARKS
from tests.paths import ROOT

TESTS = ROOT / "tests"
LAYERS = {"unit", "storage", "network", "cli", "daemon", "e2e", "chaos", "bench", "packaging"}
SHARED = {"fakes", "data"}  # used by every layer, no tests of their own
_FAST_RUN = re.compile(r"<!-- fast-run -->\n```sh\n(.*?)\n```\n<!-- /fast-run -->", re.DOTALL)
_NAMED = re.compile(r"\btests/[\w/.-]*\w(?:\.py|/)")


def documents() -> list[str]:
    return ["README.md", *(str(p.relative_to(ROOT)) for p in sorted(ROOT.glob("docs/**/*.md")))]


def fast_run_markers() -> str:
    found = _FAST_RUN.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 1, "README.md has no single fast-run block between <!-- fast-run -->"
    command = found[0]
    assert command.startswith('.venv/bin/pytest -m "') and command.endswith('"'), command
    return command.split('-m "', 1)[1][:-1]


def test_every_folder_at_the_top_is_a_layer_or_shared() -> None:
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders - LAYERS - SHARED == set(), "a folder no layer owns (README, Testing)"
    assert folders >= LAYERS


def test_the_readme_names_every_layer() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for layer in sorted(LAYERS | SHARED):
        assert f"`tests/{layer}/`" in readme, layer


@pytest.mark.parametrize("document", documents())
def test_every_test_path_a_document_names_exists(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    missing = sorted(
        {name for name in _NAMED.findall(text) if not (ROOT / name.rstrip("/")).exists()}
    )
    assert missing == [], f"{document} names test paths that do not exist: {missing}"


def test_the_fast_run_leaves_out_every_slow_folder() -> None:
    """Collected with the README's fast-run markers, the slow folders yield no test at all;
    collected without them, each yields some (so the check above cannot pass on nothing)."""
    folders = [str(TESTS / name) for name in FOLDER_MARKS]
    base = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    fast = subprocess.run(
        [*base, "-m", fast_run_markers(), *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "no tests collected" in fast.stdout or " 0 selected" in fast.stdout, fast.stdout[-3000:]
    whole = subprocess.run([*base, *folders], cwd=ROOT, capture_output=True, text=True, timeout=300)
    for name in FOLDER_MARKS:
        assert f"tests/{name}/" in whole.stdout, f"tests/{name}/ collected nothing"
