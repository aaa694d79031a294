"""Builds the wheel once per test session, offline, and installs it into a folder of its own.

The packaging tests check what a user gets from `pip install xensocial`, not the checkout: the
wheel is built with `pip wheel --no-build-isolation` (hatchling comes from the test extra, so no
network is needed), and installed with `--target` so it sits beside, not inside, the venv.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

__all__ = ["ROOT", "InstalledWheel"]


class InstalledWheel:
    def __init__(self, wheel: Path, target: Path) -> None:
        self.wheel, self.target = wheel, target


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    wheels = sorted(out.glob("xensocial-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def installed_wheel(built_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    target = tmp_path_factory.mktemp("installed")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--target",
            str(target),
            str(built_wheel),
        ],
        check=True,
        timeout=300,
    )
    return InstalledWheel(built_wheel, target)
