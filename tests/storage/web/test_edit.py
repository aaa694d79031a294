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


def test_pin_and_event_dates_are_read_as_the_cli_reads_them(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    """`--at` and `--event-date` in the forms: the same checks, the same words."""
    client = signed_in("approver")
    page = client.get("/add", params={"url": "https://example.org/event"})
    form = {
        "csrf": csrf_of(page.text),
        "url": "https://example.org/event",
        "title": "Summit",
        "category": "",
        "channel": ["news"],
        "priority": "0",
        "at": "+3d",
        "event_date": "+2d",
    }
    refused = client.post("/add", data=form)
    assert refused.status_code == 400
    assert "--at must be before --event-date: nothing is posted about a past event" in refused.text
    assert client.post("/add", data={**form, "at": "+1d"}).status_code == 200
    [item] = ContentQueue(engine, clock=clock).list_items()
    assert item.category == "event" and item.event_at is not None and item.publish_at is not None
    past = client.post(
        f"/items/{item.id}/edit",
        data=_form(
            client,
            item.id,
            url=item.url,
            title="Summit",
            category="event",
            publish_at="2000-01-01 10:00",
        ),
    )
    assert (
        past.status_code == 400
        and "--at: 2000-01-01 10:00" in past.text
        and "is in the past" in past.text
    )
    unpinned = client.post(
        f"/items/{item.id}/edit",
        data={
            **_form(client, item.id, url=item.url, title="Summit", category="event"),
            "event_at": client.get(f"/items/{item.id}/edit")
            .text.split('name="event_at" value="')[1]
            .split('"')[0],
            "publish_at": "",
        },
    )
    assert unpinned.status_code == 200 and "Saved." in unpinned.text
    assert ContentQueue(engine, clock=clock).get(item.id).publish_at is None
