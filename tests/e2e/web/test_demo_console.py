"""The README's third command: `xensocial web --demo` starts the console on the embedded demo
and makes an account `admin` for the person running it, whose printed password signs in."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.paths import ROOT

from .conftest import free_port, running_console

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SAID = re.compile(r"Sign in as admin with the password (\S+) \(made for this demo run\)")


def test_the_readmes_web_command_starts_the_demo_console_with_an_admin(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- web-command -->")[1].split("<!-- /web-command -->")[0]
    assert block.strip().strip("`").removeprefix("sh").strip() == ".venv/bin/xensocial web --demo"
    port = free_port()  # the demo's own 8080 may be taken on a shared machine
    log = tmp_path / "web.log"
    run = running_console(None, port, log, "--demo", "--port", str(port), cwd=tmp_path)
    url = next(run)
    try:
        said = _SAID.search(log.read_text(encoding="utf-8"))
        assert said, log.read_text(encoding="utf-8")
        with httpx.Client(base_url=url) as client:
            form = client.get("/login")
            token = _CSRF.search(form.text)
            assert token
            data = {"name": "admin", "password": said.group(1), "csrf": token.group(1)}
            queue = client.post("/login", data=data, follow_redirects=True)
            assert queue.status_code == 200 and "admin (admin)" in queue.text
            assert client.get("/admin/users").status_code == 200  # an admin: accounts too
    finally:
        run.close()
    assert (tmp_path / "xensocial-demo").is_dir()  # the demo's folder, where it was run
