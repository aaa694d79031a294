"""The console's security and its queue pages, in process on a real database.

Roles, CSRF, throttling, escaping and secrets are checked through the real routes, the real
session cookie and the real sign-in (Argon2 hashes in the `users` table).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from content_queue.audit import AuditLog
from content_queue.queue import ContentQueue
from content_queue.views import NewItem
from tests.conftest import FakeClock

from .conftest import csrf_of, sign_in

Login = Callable[[str], TestClient]


def _draft(engine: Engine, clock: FakeClock, title: str = "A draft", by: str = "editor") -> int:
    queue = ContentQueue(engine, clock=clock)
    new = NewItem(
        url=f"https://example.org/{abs(hash(title))}",
        channels=["news"],
        title=title,
        draft=True,
        created_by=by,
    )
    return queue.add(new).id


def test_pages_need_a_session(client: TestClient) -> None:
    answer = client.get("/queue", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_security_headers_and_cookie_flags(client: TestClient) -> None:
    answer = client.get("/login")
    csp = answer.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert answer.headers["x-frame-options"] == "DENY"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here; over HTTPS it is Secure (below)
    https = TestClient(client.app, base_url="https://127.0.0.1")
    assert "secure" in https.get("/login").headers["set-cookie"].lower()


def test_a_post_without_the_csrf_token_is_refused(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    item_id = _draft(engine, clock)
    client = signed_in("approver")
    for path in (f"/items/{item_id}/approve", f"/items/{item_id}/cancel", "/logout", "/add"):
        assert client.post(path, data={}).status_code == 403, path
        assert client.post(path, data={"csrf": "forged"}).status_code == 403, path
    assert ContentQueue(engine, clock=clock).get(item_id).state == "draft"
    # Signing in needs the token too: a login form on another site cannot sign anyone in.
    client.cookies.clear()
    assert client.post("/login", data={"name": "approver", "password": "x"}).status_code == 403


def test_every_post_route_checks_the_token(signed_in: Login) -> None:
    """Each POST route of the app refuses a request without the token (none forgotten)."""
    client = signed_in("admin")
    posts = [r.path for r in client.app.routes if "POST" in (getattr(r, "methods", None) or ())]
    assert len(posts) >= 8
    for path in posts:
        concrete = path.replace("{item_id:int}", "1").replace("{name}", "viewer")
        assert client.post(concrete, data={}).status_code == 403, path


def test_roles(signed_in: Login, engine: Engine, clock: FakeClock) -> None:
    item_id = _draft(engine, clock)
    viewer = signed_in("viewer")
    assert viewer.get("/queue").status_code == 200
    assert viewer.get("/add").status_code == 403
    page = viewer.get(f"/items/{item_id}")
    assert "Approve" not in page.text
    answer = viewer.post(f"/items/{item_id}/approve", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 403 and "approver" in answer.text

    editor = signed_in("editor")
    page = editor.get(f"/items/{item_id}")
    refused = editor.post(f"/items/{item_id}/approve", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 403
    assert "Your role (editor) does not allow this" in refused.text
    assert editor.get("/admin/users").status_code == 403

    other = signed_in("editor2")  # an editor may cancel only their own items
    page = other.get(f"/items/{item_id}")
    assert (
        other.post(f"/items/{item_id}/cancel", data={"csrf": csrf_of(page.text)}).status_code == 403
    )

    approver = signed_in("approver")
    page = approver.get(f"/items/{item_id}")
    done = approver.post(f"/items/{item_id}/approve", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200 and "Approved." in done.text
    assert ContentQueue(engine, clock=clock).get(item_id).state == "approved"
    entry = AuditLog(engine).entries(item_id=item_id)[0]
    assert (entry.action, entry.actor) == ("approve", "approver")


def test_a_session_of_another_account_cannot_approve(
    client: TestClient, signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    """The editor's cookie, sent with a token from its own page, is still the editor's."""
    item_id = _draft(engine, clock)
    editor = signed_in("editor")
    page = editor.get(f"/items/{item_id}")
    cookie = dict(editor.cookies)
    thief = TestClient(client.app, base_url="http://127.0.0.1", cookies=cookie)
    answer = thief.post(f"/items/{item_id}/approve", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 403
    assert ContentQueue(engine, clock=clock).get(item_id).state == "draft"


def test_approving_a_wordless_draft_is_refused_with_the_cli_message(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    item_id = _draft(engine, clock, title="")
    client = signed_in("approver")
    page = client.get(f"/items/{item_id}")
    answer = client.post(f"/items/{item_id}/approve", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 400
    assert f"item {item_id} would be approved with no title or text" in answer.text


def test_twenty_wrong_passwords_throttle(client: TestClient, clock: FakeClock) -> None:
    codes = [sign_in(client, "editor", "wrong password") for _ in range(20)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    assert sign_in(client, "editor") == 429  # even the right password, while throttled
    clock.advance(timedelta(minutes=16))
    assert sign_in(client, "editor") != 429  # the failures aged out (the last ones too)...


def test_throttling_is_per_address_too(client: TestClient, clock: FakeClock) -> None:
    """One address guessing many names is stopped as well."""
    codes = [sign_in(client, f"nobody{i}", "wrong password") for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    assert sign_in(client, "viewer") == 429


def test_idle_sessions_end(signed_in: Login, clock: FakeClock) -> None:
    client = signed_in("viewer")
    clock.advance(timedelta(minutes=29))
    assert client.get("/queue", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=31))
    answer = client.get("/queue", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_script_in_a_title_is_escaped_everywhere(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    hostile = "<script>alert(1)</script>"
    item_id = _draft(engine, clock, title=hostile)
    client = signed_in("approver")
    for path in ("/queue", f"/items/{item_id}", f"/queue?q={hostile}"):
        page = client.get(path)
        assert hostile not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path


def test_a_javascript_url_never_becomes_a_link(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    from xensocial.web.app import _href

    assert _href("javascript:alert(1)") == "#"
    assert _href("https://example.org/") == "https://example.org/"


def test_no_secret_in_any_response(
    signed_in: Login, engine: Engine, clock: FakeClock, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Every GET route of the app (none forgotten: the list is checked against the routes),
    each download, the static files, the error pages and the answers to the forms, with a
    channel's secret set: no secret, session key or password hash in any of them."""
    secret = "s3cr3t-token-value-" + "z" * 20
    monkeypatch.setenv("XENSOCIAL_TEST_TOKEN_NEVER_SHOWN", secret)
    item_id = _draft(engine, clock)
    client = signed_in("admin")
    month = (clock() - timedelta(days=31)).strftime("%Y-%m")
    gets = {
        "/": ["/"],
        "/login": ["/login"],
        "/queue": ["/queue", "/queue?state=nonsense"],
        "/items/{item_id:int}": [f"/items/{item_id}", "/items/999999"],
        "/items/{item_id:int}/edit": [f"/items/{item_id}/edit"],
        "/items/{item_id:int}/images/{sha256}": [f"/items/{item_id}/images/{'a' * 64}"],
        "/add": ["/add?url=", "/add?url=https://example.org/"],
        "/preview": ["/preview?url=https://example.org/&title=x&channel=news&channel=toots"],
        "/import": ["/import"],
        "/admin/users": ["/admin/users"],
        "/calendar": ["/calendar", "/calendar?view=month", "/calendar?channel=nope"],
        "/channels": ["/channels"],
        "/reports": ["/reports"],
        "/reports/{kind}/{label}": [f"/reports/month/{month}", "/reports/month/2026-13"],
        "/reports/{kind}/{label}/report.{fmt}": [
            f"/reports/month/{month}/report.{fmt}" for fmt in ("html", "csv", "json", "md", "pdf")
        ],
    }
    routes = {r.path for r in client.app.routes if "GET" in (getattr(r, "methods", None) or ())}
    assert routes == set(gets), "a GET route is missing from this walk"
    answers = [client.get(path) for paths in gets.values() for path in paths]
    answers += [client.get("/static/console.css"), client.get("/static/preview.js")]
    token = csrf_of(client.get("/channels").text)
    answers += [
        client.post(f"/channels/{name}/verify", data={"csrf": token}) for name in ("news", "toots")
    ]
    answers.append(client.post("/add/read", data={"url": "http://127.0.0.1:9/", "csrf": token}))
    assert {a.status_code for a in answers} >= {200, 400, 404}  # the error pages are in it
    for answer in answers:
        where = f"{answer.request.method} {answer.request.url}"
        for shown in (secret.encode(), b"test-secret-", b"$argon2"):
            assert shown not in answer.content, where
        assert secret not in str(answer.headers), where


def test_add_previews_and_refuses_like_the_cli(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    client = signed_in("editor")
    rows = client.get(
        "/preview",
        params={
            "url": "https://example.org/a",
            "title": "Xen 4.20",
            "text": "Out now",
            "channel": ["news", "toots"],
        },
    ).json()
    assert [r["channel"] for r in rows] == ["news", "toots"]
    assert rows[1]["limit"] == 500 and rows[1]["text"].startswith("Out now")
    page = client.get("/add", params={"url": "https://example.org/a"})
    form = {
        "csrf": csrf_of(page.text),
        "url": "https://example.org/a",
        "title": "Xen 4.20",
        "text": "Out now",
        "category": "Announcment",
        "channel": ["news"],
        "priority": "0",
    }
    refused = client.post("/add", data=form)
    assert refused.status_code == 400
    assert (
        "&#39;Announcment&#39; is not a known category; did you mean &#39;announcement&#39;?"
        in refused.text
    )
    added = client.post("/add", data={**form, "category": "announcement"})
    assert added.status_code == 200 and "Added." in added.text
    item = ContentQueue(engine, clock=clock).list_items()[0]
    assert (item.state, item.created_by) == ("draft", "editor")  # an editor's item waits
    again = client.post("/add", data={**form, "category": "announcement"})
    assert again.status_code == 400 and f"item {item.id}" in again.text  # the duplicate's id


def test_queue_list_filters_and_pages(signed_in: Login, engine: Engine, clock: FakeClock) -> None:
    for n in range(55):
        _draft(engine, clock, title=f"Item number {n}")
    client = signed_in("viewer")
    first = client.get("/queue")
    assert "Item number 54" in first.text and "Older" in first.text
    second = client.get("/queue?page=2")
    assert "Item number 0<" in second.text and "Newer" in second.text
    found = client.get("/queue", params={"q": "number 7", "state": "draft"})
    assert "Item number 7<" in found.text and "Item number 8<" not in found.text
    assert client.get("/queue?state=nonsense").status_code == 400


def test_admin_manages_accounts_and_the_audit_log_names_them(
    signed_in: Login, engine: Engine
) -> None:
    client = signed_in("admin")
    page = client.get("/admin/users")
    token = csrf_of(page.text)
    added = client.post(
        "/admin/users",
        data={"csrf": token, "name": "carol", "role": "editor", "password": "long enough password"},
    )
    assert added.status_code == 200 and "carol" in added.text
    assert (
        client.post("/admin/users/carol/role", data={"csrf": token, "role": "approver"}).status_code
        == 200
    )
    refused = client.post("/admin/users/admin/remove", data={"csrf": token})
    assert refused.status_code == 400 and "your own account" in refused.text
    assert client.post("/admin/users/carol/remove", data={"csrf": token}).status_code == 200
    actions = [(e.actor, e.action) for e in AuditLog(engine).entries(limit=10)]
    assert ("admin", "account-add") in actions and ("admin", "account-remove") in actions
    assert ("admin", "account-role") in actions


def test_the_session_key_is_made_once_private_and_never_empty(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from xensocial.errors import BadInput
    from xensocial.web import secret_key

    monkeypatch.delenv("XENSOCIAL_WEB_SECRET", raising=False)
    key = secret_key(tmp_path / "data")
    assert len(key) >= 32 and secret_key(tmp_path / "data") == key
    assert (tmp_path / "data" / "web-secret").stat().st_mode & 0o777 == 0o600
    (tmp_path / "data" / "web-secret").write_text("")
    with pytest.raises(BadInput, match="0 characters long"):
        secret_key(tmp_path / "data")
    monkeypatch.setenv("XENSOCIAL_WEB_SECRET", "short")
    with pytest.raises(BadInput, match="XENSOCIAL_WEB_SECRET is 5 characters"):
        secret_key(tmp_path / "data")


def test_reading_a_page_needs_a_post_with_the_token(signed_in: Login) -> None:
    """A link on another site (a GET) cannot make the console fetch anything; the read is a
    POST with the form's token, and the guard refuses a local address in `queue add`'s words."""
    client = signed_in("editor")
    page = client.get("/add", params={"url": "http://127.0.0.1:9/"})
    assert page.status_code == 200 and "refused" not in page.text
    assert client.post("/add/read", data={"url": "http://127.0.0.1:9/"}).status_code == 403
    refused = client.post(
        "/add/read", data={"url": "http://127.0.0.1:9/", "csrf": csrf_of(page.text)}
    )
    assert refused.status_code == 400
    assert "To add the link without reading the page, give --title" in refused.text
