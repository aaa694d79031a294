"""The wheel is complete: an installed package, with no checkout in sight, migrates a database.

The migrations and the demo configuration live outside the Python packages in the checkout and
are force-included into the wheel (see pyproject.toml); these tests catch a file left behind.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import ROOT, InstalledWheel

_EDITABLE_MARKERS = ("__editable__", "_xensocial", "xensocial-", "xensocial.", "content_queue")


def test_wheel_carries_migrations_defaults_and_types(built_wheel: Path) -> None:
    names = set(zipfile.ZipFile(built_wheel).namelist())
    expected = {
        "xensocial/_migrations/env.py",
        "xensocial/_migrations/script.py.mako",
        "xensocial/_defaults/demo.toml",
        "xensocial/_defaults/demo-items.csv",
        "xensocial/py.typed",
        "content_queue/py.typed",
        "xensocial/__main__.py",
        "xensocial/adapters/outbox.py",
    }
    expected |= {
        f"xensocial/_migrations/versions/{p.name}"
        for p in (ROOT / "migrations" / "versions").glob("*.py")
    }
    # The web console's templates and static files are package data: pages need them.
    web = ROOT / "xensocial" / "web"
    expected |= {
        str(p.relative_to(ROOT))
        for folder in ("templates", "static")
        for p in (web / folder).iterdir()
        if p.is_file()
    }
    assert "xensocial/web/templates/base.html" in expected
    assert len(expected) > 8  # at least one migration script was found in the checkout
    missing = expected - names
    assert not missing, f"missing from the wheel: {sorted(missing)}"
    assert not [n for n in names if n.startswith(("tests/", "bench/", ".venv/"))]


def test_wheel_declares_console_script_and_outbox_adapter(built_wheel: Path) -> None:
    with zipfile.ZipFile(built_wheel) as wheel:
        entry_points = wheel.read("xensocial-0.1.0.dist-info/entry_points.txt").decode()
    assert "xensocial = xensocial.cli:main" in entry_points
    section = entry_points.split("[xensocial.adapters]", 1)[1]
    assert "outbox = xensocial.adapters.outbox:OutboxAdapter" in section


def _dependencies_without_checkout(tmp_path: Path) -> Path:
    """A folder of links to the venv's installed dependencies, minus the editable xensocial.

    The venv's site-packages makes the checkout importable (an editable `.pth` and finder);
    linking everything else into a plain folder, used with `python -S`, leaves it out."""
    deps = tmp_path / "deps"
    if deps.is_dir():
        return deps
    deps.mkdir()
    for site_dir in site.getsitepackages():
        for entry in Path(site_dir).iterdir():
            if entry.name.startswith(_EDITABLE_MARKERS) or entry.suffix == ".pth":
                continue
            link = deps / entry.name
            if not link.exists():
                link.symlink_to(entry)
    return deps


def _run_installed(
    installed: InstalledWheel, tmp_path: Path, args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    deps = _dependencies_without_checkout(tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("XENSOCIAL_", "PYTHON"))}
    base["PYTHONPATH"] = os.pathsep.join([str(installed.target), str(deps)])
    # -S: no site-packages processing, so no .pth file can put the checkout back on the path.
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=work,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_installed_wheel_is_not_the_checkout(
    installed_wheel: InstalledWheel, tmp_path: Path
) -> None:
    probe = (
        "import json, importlib.metadata as md, xensocial, content_queue, xensocial.migrate as m;"
        "print(json.dumps({'xensocial': xensocial.__file__, 'content_queue': content_queue.__file__,"
        " 'migrations': str(m.script_location()),"
        " 'adapters': {e.name: e.value for e in md.entry_points(group='xensocial.adapters')}}))"
    )
    result = _run_installed(installed_wheel, tmp_path, ["-c", probe])
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    target = str(installed_wheel.target)
    assert found["xensocial"].startswith(target)
    assert found["content_queue"].startswith(target)
    assert found["migrations"] == str(installed_wheel.target / "xensocial" / "_migrations")
    assert found["adapters"]["outbox"] == "xensocial.adapters.outbox:OutboxAdapter"


def test_installed_wheel_runs_db_upgrade(installed_wheel: InstalledWheel, tmp_path: Path) -> None:
    db = tmp_path / "data" / "fresh.db"
    env = {
        "XENSOCIAL_DATABASE_URL": f"sqlite:///{db}",
        "XENSOCIAL_DATA_DIR": str(tmp_path / "data"),
    }
    args = ["-m", "xensocial", "db", "upgrade"]
    result = _run_installed(installed_wheel, tmp_path, args, env)
    assert result.returncode == 0, result.stdout + result.stderr
    probe = (
        "import sqlalchemy as sa, sys;"
        "print(' '.join(sorted(sa.inspect(sa.create_engine(sys.argv[1])).get_table_names())))"
    )
    tables = _run_installed(installed_wheel, tmp_path, ["-c", probe, f"sqlite:///{db}"])
    assert tables.returncode == 0, tables.stderr
    assert set(tables.stdout.split()) >= {
        "alembic_version",
        "items",
        "deliveries",
        "slot_claims",
        "channel_states",
    }


def test_installed_wheel_serves_the_console_sign_in_page(
    installed_wheel: InstalledWheel, tmp_path: Path
) -> None:
    """The console's templates and static files load from the installed package."""
    db = tmp_path / "data" / "web.db"
    probe = (
        "import sys, xensocial.web as w;"
        "from pathlib import Path;"
        "from starlette.testclient import TestClient;"
        "from content_queue.db import make_engine;"
        "from content_queue.timeutil import system_clock;"
        "from xensocial.config import load_settings;"
        "from xensocial.migrate import upgrade;"
        "s = load_settings(None, env={'XENSOCIAL_DATABASE_URL': sys.argv[1], 'XENSOCIAL_DATA_DIR': sys.argv[2]});"
        "e = make_engine(s.database_url); upgrade(e);"
        "c = TestClient(w.create_app(s, e, clock=system_clock, secret='k' * 40));"
        "page, css = c.get('/login'), c.get('/static/console.css');"
        "print(w.__file__, page.status_code, 'Sign in' in page.text, css.status_code)"
    )
    args = ["-W", "ignore", "-c", probe, f"sqlite:///{db}", str(tmp_path / "data")]
    result = _run_installed(installed_wheel, tmp_path, args)
    assert result.returncode == 0, result.stderr
    where, status, signed, css = result.stdout.split()
    assert where.startswith(str(installed_wheel.target))
    assert (status, signed, css) == ("200", "True", "200")
