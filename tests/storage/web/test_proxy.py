"""A reverse proxy in front of the console: its forwarded address and scheme, and single
sign-on through a header, believed only from `[web] trusted_proxies`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from tests.conftest import FakeClock
from xensocial.config import load_settings
from xensocial.web import create_app

from .conftest import CONFIG, csrf_of

PROXY = ("127.0.0.1", 40000)
ELSEWHERE = ("192.0.2.7", 40000)


def _app(tmp_path: Path, engine: Engine, clock: FakeClock, web: str = "") -> object:
    path = tmp_path / "proxy.toml"
    url = engine.url.render_as_string(hide_password=False)
    path.write_text(f'database_url = "{url}"\n' + CONFIG + f"\n[web]\n{web}\n")
    settings = load_settings(path, env={})
    return create_app(settings, engine, clock=clock, secret="test-secret-" + "x" * 30)


def _fail(client: TestClient, name: str, address: str) -> int:
    page = client.get("/login")
    headers = {"X-Forwarded-For": address}
    data = {"name": name, "password": "wrong password", "csrf": csrf_of(page.text)}
    return client.post("/login", data=data, headers=headers).status_code


def test_the_forwarded_address_and_scheme_count_only_from_the_proxy(
    client: TestClient, tmp_path: Path, engine: Engine, clock: FakeClock
) -> None:
    app = _app(tmp_path, engine, clock)
    behind = TestClient(app, base_url="http://127.0.0.1", client=PROXY)  # type: ignore[arg-type]
    https = behind.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in https.headers["set-cookie"].lower()
    # Each person behind the proxy is throttled by their own address ...
    assert [_fail(behind, f"n{i}", "203.0.113.5") for i in range(11)][-1] == 429
    assert _fail(behind, "someone", "203.0.113.6") == 401
    # ... and a client elsewhere cannot pick an address (or a scheme) by writing the header.
    direct = TestClient(app, base_url="http://127.0.0.1", client=ELSEWHERE)  # type: ignore[arg-type]
    assert (
        "secure"
        not in direct.get("/login", headers={"X-Forwarded-Proto": "https"})
        .headers["set-cookie"]
        .lower()
    )
    codes = [_fail(direct, f"m{i}", f"198.51.100.{i}") for i in range(11)]
    assert codes[-1] == 429  # all counted against 192.0.2.7, whatever the header said


def test_single_sign_on_through_the_proxy(
    client: TestClient, tmp_path: Path, engine: Engine, clock: FakeClock
) -> None:
    app = _app(tmp_path, engine, clock, 'sso_header = "X-Forwarded-User"')
    behind = TestClient(app, base_url="http://127.0.0.1", client=PROXY)  # type: ignore[arg-type]
    page = behind.get("/queue", headers={"X-Forwarded-User": "approver"})
    assert page.status_code == 200 and "approver (approver)" in page.text
    unknown = behind.get("/queue", headers={"X-Forwarded-User": "mallory"})
    assert unknown.status_code == 403 and "has no account here" in unknown.text
    # The header means nothing from anywhere else.
    direct = TestClient(app, base_url="http://127.0.0.1", client=ELSEWHERE)  # type: ignore[arg-type]
    forged = direct.get("/queue", headers={"X-Forwarded-User": "admin"}, follow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"] == "/login"


def test_single_sign_on_is_off_by_default(
    client: TestClient, tmp_path: Path, engine: Engine, clock: FakeClock
) -> None:
    behind = TestClient(_app(tmp_path, engine, clock), client=PROXY)  # type: ignore[arg-type]
    answer = behind.get("/queue", headers={"X-Forwarded-User": "admin"}, follow_redirects=False)
    assert answer.status_code == 303
