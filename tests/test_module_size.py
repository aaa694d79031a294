"""No module of the packages, the benchmarks or the tests passes 500 lines (issue 16: "no
module over 500 lines"; the tests' modules too, since the fake X server was split in three).

Why a test: a module that grows past one screenful of ideas stops saying what it is for, and
the house rule only holds if something fails when it is broken. A module that grows too long is
split along a real seam (see how `content_queue/ledger.py` became `slot_claims.py`,
`settling.py` and `eligible.py`), not trimmed of its docstrings.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("xensocial", "content_queue", "bench", "tests")
MAX_LINES = 500


def oversized(root: Path, folders: tuple[str, ...] = FOLDERS) -> list[str]:
    """Each Python module under `folders` of `root` longer than MAX_LINES, as `path: N lines`."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_module_passes_500_lines() -> None:
    assert oversized(ROOT) == [], f"split these along a seam: {oversized(ROOT)}"


def test_the_check_names_a_module_over_the_limit(tmp_path: Path) -> None:
    package = tmp_path / "content_queue" / "sub"
    package.mkdir(parents=True)
    (package / "long.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (package / "just.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "long.py").write_text("\n" * (MAX_LINES + 2), encoding="utf-8")
    assert oversized(tmp_path) == [
        f"{Path('content_queue/sub/long.py')}: {MAX_LINES + 1} lines",
        f"{Path('bench/long.py')}: {MAX_LINES + 2} lines",
    ]
