"""The third-party adapter example (this folder) works as docs/plugins.md says.

It is "installed" the way pip would leave it, without touching the venv: the example's folder
goes on PYTHONPATH, and a `*.dist-info` folder holding its metadata and the entry point read from
its own pyproject.toml goes into a temporary folder, also on PYTHONPATH. Then real `xensocial`
processes list it, refuse an item that cannot fit its limits, preview and dry-run through it, and
the contract suite runs against it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.paths import ROOT

EXAMPLE = Path(__file__).resolve().parent

PYPROJECT = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))

CONFIG = """\
database_url = "sqlite:///queue.db"
timezone = "Europe/Amsterdam"
log_format = "json"

[[channels]]
name = "files"
network = "folder"
cron = "* * * * * *"
max_per_day = 100
template = "{category}: {body} {url}"

[channels.options]
folder = "posts"
"""


def install(site: Path) -> dict[str, str]:
    """Write the example's dist-info into `site`; the environment that sees it."""
    project = PYPROJECT["project"]
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    groups = project["entry-points"]
    (dist / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
            for group, eps in groups.items()
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(EXAMPLE), str(ROOT)])
    return env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = install(tmp_path / "site")
    env["XENSOCIAL_DATA_DIR"] = str(tmp_path / "data")
    return env


def xs(env: dict[str, str], config: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    options = ["--config", str(config)] if config else []
    return subprocess.run(
        [sys.executable, "-m", "xensocial", *options, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_the_entry_point_is_the_one_in_the_examples_pyproject() -> None:
    eps = PYPROJECT["project"]["entry-points"]["xensocial.adapters"]
    assert eps == {"folder": "xensocial_folder:FolderAdapter"}


def test_docs_plugins_md_shows_this_example_verbatim() -> None:
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(?:toml|python)\n(.*?)^```", doc, re.MULTILINE | re.DOTALL)
    for path in ("pyproject.toml", "xensocial_folder/__init__.py", "xensocial_folder/testing.py"):
        assert (EXAMPLE / path).read_text(encoding="utf-8") in blocks, f"docs/plugins.md: {path}"


def test_the_readme_shows_this_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```(?:toml|python)\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    assert (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8") in blocks
    module = (EXAMPLE / "xensocial_folder" / "__init__.py").read_text(encoding="utf-8")
    assert any(block.endswith(module) for block in blocks), "README: xensocial_folder/__init__.py"


def test_adapters_lists_the_plugin_and_where_it_came_from(env: dict[str, str]) -> None:
    done = xs(env, None, "adapters", "--json")
    assert done.returncode == 0, done.stderr
    found = {a["name"]: a for a in json.loads(done.stdout)}
    assert found["folder"] == {
        "name": "folder",
        "target": "xensocial_folder:FolderAdapter",
        "distribution": "xensocial-folder",
        "version": "0.1.0",
        "loads": True,
        "error": None,
    }
    assert found["outbox"]["distribution"] == "xensocial"  # built-ins are listed the same way
    table = xs(env, None, "adapters").stdout
    assert "xensocial-folder 0.1.0" in table


def test_a_plugin_that_does_not_load_is_listed_as_failing(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "site" / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nVersion: 1.0\n")
    (broken / "entry_points.txt").write_text("[xensocial.adapters]\nbroken = no_such_module:A\n")
    done = xs(env, None, "adapters", "--json")
    assert done.returncode == 0, done.stderr
    found = {a["name"]: a for a in json.loads(done.stdout)}
    assert found["broken"]["loads"] is False
    assert "no_such_module" in found["broken"]["error"]
    assert found["folder"]["loads"] is True


def test_queue_add_preview_and_dry_run_through_the_plugin(
    env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "xensocial.toml"
    config.write_text(CONFIG, encoding="utf-8")
    url = "https://example.org/a/rather/long/path/to/an/article/about/xen-4.20?lang=en"
    added = xs(env, config, "queue", "add", url, "--title", "Xen 4.20 is out", "--json")
    assert added.returncode == 0, added.stderr
    item = json.loads(added.stdout)["id"]

    # The plugin's limits: 200 characters, each link 20. A channel's own words are never cut:
    # "news: " + 175 + " " + 20 = 202.
    too_long = xs(
        env, config, "queue", "edit", str(item), "--channel", "files", "--text", "t" * 175
    )
    assert too_long.returncode == 2, too_long.stderr
    assert too_long.stderr.startswith("error: the text for channel 'files' (folder) is too long")
    assert "counts 202, over the limit of 200" in too_long.stderr

    shown = xs(env, config, "preview", str(item), "--json")
    assert shown.returncode == 0, shown.stderr
    [row] = json.loads(shown.stdout)
    assert row["text"] == f"news: Xen 4.20 is out {url}"
    assert (row["length"], row["limit"]) == (len("news: Xen 4.20 is out ") + 20, 200)
    assert row["unit"] == "characters, each link 20"

    proc = subprocess.Popen(
        [sys.executable, "-m", "xensocial", "--config", str(config), "run", "--dry-run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    output = b""
    deadline = time.monotonic() + 30
    try:
        while b"dry_run_would_post" not in output and time.monotonic() < deadline:
            time.sleep(0.1)
            output += proc.stdout.read() or b""
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
        output += rest or b""
    assert b"dry_run_would_post" in output, output.decode()
    assert url.encode() in output
    assert not (tmp_path / "data" / "posts").exists()  # a dry run posts nothing


def test_the_contract_suite_runs_against_the_plugin(env: dict[str, str]) -> None:
    env = {
        **env,
        "XENSOCIAL_CONTRACT_HARNESS": "xensocial_folder.testing:harness",
        "XENSOCIAL_CONTRACT_ONLY": "xensocial_folder.testing:harness",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/network/contract"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [line for line in done.stdout.splitlines() if "::" in line]
    assert ran and all("[xensocial_folder.testing:harness" in line for line in ran), ran
    # Of the failures, a folder can have only an unreachable "network"; the rest skip, saying
    # why, and so does the reply test (the folder posts no threads).
    assert "10 passed, 10 skipped" in done.stdout, done.stdout
    assert "folder posts no replies (replies_as is empty)" in done.stdout
    assert "folder cannot have revoked: no credentials" in done.stdout  # each skip says why
