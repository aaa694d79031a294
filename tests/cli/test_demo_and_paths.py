"""No silent demo, and paths that follow the configuration file (issue 14), as staff meet them:
`python -m xensocial` in a real process, in a real working directory.

Why, as the issue reported it:
- "A forgotten `--config` writes into the real database. Without `--config` or
  `XENSOCIAL_CONFIG`, in the working directory, `queue add` used the embedded demo
  configuration, said "-> demo (approved)", and wrote into the same `./xensocial-data/
  xensocial.db` as the real configuration [...] `--config ""` falls back to the demo too.
  Nothing says "using the embedded demo"."
- "A relative `data_dir` follows the current directory, not the configuration file: `cd /tmp
  && xensocial channels list` with the same `XENSOCIAL_CONFIG` made a new empty database and
  showed no posts."
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from xensocial.config import DEMO_NOTICE

# A real installation as the README sets one up: relative paths, the default data folder.
REAL = """\
timezone = "Europe/Amsterdam"
{data_dir}

[[channels]]
name = "xen-news"
network = "outbox"
slots = ["09:30"]
[channels.options]
path = "outbox.jsonl"

[intake]
fetch_link_details = false
"""


def xs(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI in `cwd`, with no XENSOCIAL_* variable but those given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XENSOCIAL_")}
    return subprocess.run(
        [sys.executable, "-m", "xensocial", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    return done


def real_installation(folder: Path, data_dir: str = "") -> Path:
    """A configuration in `folder`, its database made and holding one item."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "xensocial.toml"
    config.write_text(REAL.format(data_dir=data_dir), encoding="utf-8")
    config.chmod(0o600)
    ok(xs(folder, "--config", "xensocial.toml", "queue", "add", "https://xenproject.org/real",
          "--title", "A real post"))  # fmt: skip
    return config


def test_a_forgotten_config_never_touches_the_real_database(tmp_path: Path) -> None:
    site = tmp_path / "site"
    real_installation(site)
    real_db = site / "xensocial-data" / "xensocial.db"
    before = real_db.read_bytes()

    done = ok(xs(site, "queue", "add", "https://xenproject.org/oops", "--title", "Oops"))

    assert real_db.read_bytes() == before  # byte for byte
    assert done.stderr.count(DEMO_NOTICE) == 1
    assert f"warning: {DEMO_NOTICE}" in done.stderr.splitlines()
    # The demo's item went to the demo's own folder.
    assert (site / "xensocial-demo" / "xensocial.db").is_file()
    listed = json.loads(ok(xs(site, "queue", "list", "--json")).stdout)
    assert [i["url"] for i in listed] == ["https://xenproject.org/oops"]
    real = json.loads(ok(xs(site, "--config", "xensocial.toml", "queue", "list", "--json")).stdout)
    assert [i["url"] for i in real] == ["https://xenproject.org/real"]


def test_only_the_demo_is_announced(tmp_path: Path) -> None:
    config = real_installation(tmp_path / "site")
    named = ok(xs(tmp_path, "--config", str(config), "queue", "list"))
    from_env = ok(xs(tmp_path, "queue", "list", env={"XENSOCIAL_CONFIG": str(config)}))
    assert DEMO_NOTICE not in named.stderr + from_env.stderr
    # An empty XENSOCIAL_CONFIG is no file named: the demo, and it says so.
    empty = ok(xs(tmp_path, "queue", "list", env={"XENSOCIAL_CONFIG": ""}))
    assert empty.stderr.count(DEMO_NOTICE) == 1


def test_an_empty_config_is_refused(tmp_path: Path) -> None:
    done = xs(tmp_path, "--config", "", "queue", "add", "https://xenproject.org/", "--title", "T")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: --config names no file; give the configuration file's path, e.g. "
        "--config /etc/xensocial/xensocial.toml"
    ]
    assert list(tmp_path.iterdir()) == []  # no database made, demo or other


def test_a_relative_data_dir_is_found_from_any_working_directory(tmp_path: Path) -> None:
    site = tmp_path / "site"
    config = real_installation(site, 'data_dir = "data"')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"XENSOCIAL_CONFIG": str(config)}

    listed = json.loads(ok(xs(elsewhere, "queue", "list", "--json", env=env)).stdout)

    assert [i["url"] for i in listed] == ["https://xenproject.org/real"]
    assert list(elsewhere.iterdir()) == []  # no new, empty database here
    status = json.loads(ok(xs(elsewhere, "db", "status", "--json", env=env)).stdout)
    assert status["configuration"] == str(config)
    assert status["data_dir"] == str(site / "data")
    assert status["database_file"] == str(site / "data" / "xensocial.db")
    assert status["demo"] is False and status["items"] == {"approved": 1}
    text = ok(xs(elsewhere, "db", "status", env=env)).stdout.splitlines()
    assert text[:3] == [
        f"Config:   {config}",
        f"Data dir: {site / 'data'}",
        f"Database: sqlite:///{site / 'data' / 'xensocial.db'}",
    ]


def test_db_status_names_the_demo_and_its_folder(tmp_path: Path) -> None:
    done = ok(xs(tmp_path, "db", "status", "--json"))
    status = json.loads(done.stdout)
    assert status["demo"] is True
    assert status["data_dir"] == str(tmp_path / "xensocial-demo")
    assert status["database_file"] == str(tmp_path / "xensocial-demo" / "xensocial.db")
    assert done.stderr.count(DEMO_NOTICE) == 1
