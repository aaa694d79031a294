"""CSV import in the console: `queue import`'s all-or-nothing rule and report, in a page."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from content_queue.csvrecords import CsvLimits
from content_queue.queue import ContentQueue
from tests.conftest import FakeClock
from xensocial.web.uploads import FORM_MARGIN, file_too_large

from .conftest import csrf_of

Login = Callable[[str], TestClient]

GOOD = "https://example.org/good,Good one,,news,,,,0\n"
BAD = "https://example.org/bad,Bad one,,Newz,,,,0\n"
HEADER = "url,title,text,category,tags,channels,not_before,priority\n"


def _post(client: TestClient, body: str, **fields: str) -> tuple[int, str]:
    page = client.get("/import")
    answer = client.post(
        "/import",
        data={"csrf": csrf_of(page.text), **fields},
        files={"file": ("items <b>.csv", body.encode(), "text/csv")},
    )
    return answer.status_code, answer.text


def test_a_bad_row_imports_nothing_unless_skip_bad(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    client = signed_in("editor")
    code, text = _post(client, HEADER + GOOD + BAD)
    assert code == 400
    assert "1 bad row(s); nothing was imported" in text
    assert "line 3" in text and "did you mean &#39;news&#39;?" in text
    assert "items &lt;b&gt;.csv" in text  # the file's own name, escaped
    assert ContentQueue(engine, clock=clock).list_items() == []
    code, text = _post(client, HEADER + GOOD + BAD, skip_bad="yes")
    assert code == 200 and "Added 1 item(s)" in text and "Refused 1 row(s)" in text
    [item] = ContentQueue(engine, clock=clock).list_items()
    assert (item.state, item.created_by) == ("draft", "editor")  # an editor's rows wait
    code, text = _post(client, HEADER + GOOD)
    assert (
        code == 200
        and "Skipped 1 duplicate(s)" in text
        and f'is item <a href="/items/{item.id}">' in text
    )


def test_an_approver_may_import_approved(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    client = signed_in("approver")
    code, text = _post(
        client, HEADER + GOOD + "https://example.org/bare,,,news,,,,0\n", approve="yes"
    )
    assert code == 200 and "Added 1 row(s) as drafts" in text and "line(s) 3" in text
    states = {i.url: i.state for i in ContentQueue(engine, clock=clock).list_items()}
    assert states == {"https://example.org/good": "approved", "https://example.org/bare": "draft"}


def test_a_viewer_cannot_import(signed_in: Login) -> None:
    client = signed_in("viewer")
    assert client.get("/import").status_code == 403


def test_a_form_over_the_files_limit_is_refused_before_it_is_read(
    signed_in: Login, engine: Engine, clock: FakeClock
) -> None:
    """Starlette would spool any upload to disk: the form's declared size is checked first,
    against the import's own file limit and a margin for the other fields."""
    client = signed_in("editor")
    page = client.get("/import")
    limit = CsvLimits().max_file_bytes + FORM_MARGIN
    answer = client.post(
        "/import",
        data={"csrf": csrf_of(page.text)},
        files={"file": ("big.csv", (HEADER + GOOD).encode(), "text/csv")},
        headers={"content-length": str(limit + 1)},
    )
    assert answer.status_code == 413
    assert file_too_large(limit) in unescape(answer.text)
    assert ContentQueue(engine, clock=clock).list_items() == []
