"""Editing an item in the console: `queue edit`'s checks and refusals, the editor's limits."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from content_queue.audit import AuditLog
from content_queue.queue import ContentQueue
from content_queue.views import NewItem
from tests.conftest import FakeClock

from .conftest import csrf_of

Login = Callable[[str], TestClient]


def _item(engine: Engine, clock: FakeClock, by: str = "editor") -> int:
    new = NewItem(
        url="https://example.org/post",
        channels=["news", "toots"],
        title="Old title",
        text="Old text",
        created_by=by,
    )
    return ContentQueue(engine, clock=clock).add(new).id


def _form(client: TestClient, item_id: int, **changes: str) -> dict[str, str]:
    page = client.get(f"/items/{item_id}/edit")
    assert page.status_code == 200, page.text
    fields = {
        "csrf": csrf_of(page.text),
        "url": "https://example.org/post",
        "title": "Old title",
        "text": "Old text",
        "category": "news",
        "tags": "",
        "priority": "0",
        "not_before": "",
        "expires_at": "",
    }
    return {**fields, **changes}


def test_an_editor_edits_their_item_and_the_log_names_them(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    item_id = _item(engine, clock)
    client = signed_in("editor")
    done = client.post(
        f"/items/{item_id}/edit",
        data=_form(client, item_id, title="New title", tags="xen, release", priority="3"),
    )
    assert done.status_code == 200 and "Saved." in done.text
    item = ContentQueue(engine, clock=clock).get(item_id)
    assert (item.title, item.tags, item.priority) == ("New title", ("xen", "release"), 3)
    entry = AuditLog(engine).entries(item_id=item_id)[0]
    assert (entry.action, entry.actor) == ("edit", "editor")
    same = client.post(
        f"/items/{item_id}/edit",
        data=_form(client, item_id, title="New title", tags="xen release", priority="3"),
    )
    assert "Nothing to change" in same.text


def test_edit_refusals_are_the_clis(signed_in: Login, engine: Engine, clock: FakeClock) -> None:
    item_id = _item(engine, clock)
    client = signed_in("approver")
    for changes, message in (
        ({"category": "Newz"}, "did you mean &#39;news&#39;?"),
        ({"expires_at": "2000-01-01 10:00"}, "is already past; an expired item is never posted"),
        ({"title": "", "text": ""}, f"item {item_id} would be approved with no title or text"),
    ):
        answer = client.post(f"/items/{item_id}/edit", data=_form(client, item_id, **changes))
        assert answer.status_code == 400 and message in answer.text, (changes, answer.text[-2000:])
    assert ContentQueue(engine, clock=clock).get(item_id).title == "Old title"


def test_another_editors_item_cannot_be_edited(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    item_id = _item(engine, clock, by="editor")
    client = signed_in("editor2")
    assert client.get(f"/items/{item_id}/edit").status_code == 403
    viewer = signed_in("viewer")
    assert viewer.get(f"/items/{item_id}/edit").status_code == 403
