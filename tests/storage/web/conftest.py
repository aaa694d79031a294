"""The web console in process (Starlette's TestClient) on a real database, with a fake clock.

Accounts of every role are made with the functions `xensocial users add` calls; `signed_in`
gives a client signed in as one of them, through the real sign-in form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from content_queue.accounts import AccountStore
from tests.conftest import FakeClock
from xensocial.accounts import hash_password
from xensocial.config import Settings, load_settings
from xensocial.web import create_app

PASSWORD = "correct horse battery"
CONFIG = """
[[channels]]
name = "news"
network = "outbox"
slots = ["09:30"]
[channels.options]
path = "outbox.jsonl"

[[channels]]
name = "toots"
network = "mastodon"
slots = ["10:00"]
[channels.options]
api_base_url = "https://mastodon.example"
[channels.secrets]
access_token = "env:XENSOCIAL_TEST_TOKEN_NEVER_SHOWN"
"""
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    path = tmp_path / "xensocial.toml"
    path.write_text(
        f'database_url = "{engine.url.render_as_string(hide_password=False)}"\n' + CONFIG
    )
    return load_settings(path, env={})


@pytest.fixture
def client(settings: Settings, engine: Engine, clock: FakeClock) -> TestClient:
    store = AccountStore(engine, clock)
    for role in ("viewer", "editor", "approver", "admin"):
        store.add(role, role, hash_password(PASSWORD), by="test")
    store.add("editor2", "editor", hash_password(PASSWORD), by="test")
    app = create_app(settings, engine, clock=clock, secret="test-secret-" + "x" * 30)
    return TestClient(app, base_url="http://127.0.0.1")


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"name": name, "password": password, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    return answer.status_code


@pytest.fixture
def signed_in(client: TestClient) -> Callable[[str], TestClient]:
    def as_(name: str) -> TestClient:
        client.cookies.clear()
        assert sign_in(client, name) == 303
        return client

    return as_
