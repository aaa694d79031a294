"""Static checks as tests, so CI enforces them: mypy --strict and ruff on the code, and the
README's two commands wired to CI.

The README promises two single-line commands at the top (start the demo; run the tests), and
`.ci/run` runs the second one, read from the README itself; these tests keep that true.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_blocks(text: str) -> list[str]:
    return [m.group(1).strip() for m in _FENCE.finditer(text)]


def test_mypy_strict_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],  # packages and strictness come from pyproject.toml
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_opens_with_the_run_and_test_commands() -> None:
    blocks = code_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    run, test = blocks[0], blocks[1]
    for command in (run, test):
        assert "\n" not in command, f"not a single line: {command!r}"
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install ")
    assert run.endswith(".venv/bin/xensocial run")
    assert '"[test]"' in test or "'[test]'" in test or "[test]" in test
    assert "pytest" in test
    assert "tail -f xensocial-demo/outbox.jsonl" in README.read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command() -> None:
    test = code_blocks(README.read_text(encoding="utf-8"))[1]
    printed = subprocess.run(
        ["bash", str(CI_RUN), "--print-test-command"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert printed.stdout.strip() == test


@pytest.mark.parametrize("code", [0, 3])
def test_ci_propagates_the_test_command_exit_code(tmp_path: Path, code: int) -> None:
    # A copy of .ci/run beside a README whose test command exits with `code`.
    (tmp_path / ".ci").mkdir()
    shutil.copy(CI_RUN, tmp_path / ".ci" / "run")
    (tmp_path / "README.md").write_text(
        f"# t\n\n<!-- test-command -->\n```sh\necho ran && exit {code}\n```\n<!-- /test-command -->\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CI": "true"},
    )
    assert "ran" in result.stdout
    assert result.returncode == code, result.stdout + result.stderr
