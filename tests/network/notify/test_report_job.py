"""The report's delivery job against a real database and a real SMTP server on 127.0.0.1, the
clock moved by the test: November's report is not due on 30 November nor at 08:59 on 1
December (Europe/Amsterdam), is due at 09:00 local and sent once, and not again by a second
job (a restart) or a second replica; a server down is retried after the backoff. On SQLite and
PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

import csv
import io
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy.engine import Engine

from content_queue.report_sends import ReportSendStore
from tests.cli.conftest import CONFIG, write_config
from tests.conftest import FakeClock
from tests.fakes.notify import Smtp, message_id
from xensocial.config import Settings, load_settings
from xensocial.notify.reports import ReportDeliveries, mail_report, period_of

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=AMSTERDAM).astimezone(UTC)


def mail_target(port: int) -> str:
    return (
        f'\n[[notify]]\nname = "mail"\nkind = "email"\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nfrom = "bot@example.org"\nto = ["comms@example.org"]\n'
        'events = ["queue_dry"]\n'
    )


DELIVERY = '\n[[report.deliveries]]\ntarget = "mail"\nto = ["board@example.org"]\n'


def settings(tmp_path: Path, port: int, delivery: str = DELIVERY) -> Settings:
    return load_settings(write_config(tmp_path, text=CONFIG + mail_target(port) + delivery))


def job(s: Settings, engine: Engine, clock: FakeClock) -> ReportDeliveries:
    return ReportDeliveries.for_engine(s, engine, clock=clock, reclaim_own=True)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, as a reader's program finds it."""
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def parts(message: EmailMessage) -> list[str]:
    return [p.get_content_type() for p in message.walk() if not p.is_multipart()]


def test_a_month_is_due_on_the_1st_at_nine_local_and_sent_once(
    tmp_path: Path, engine: Engine
) -> None:
    clock = FakeClock(local(2026, 11, 1, 10, 0))
    with Smtp() as smtp:
        s = settings(tmp_path, smtp.port)
        assert job(s, engine, clock).run_once() == (1, 0)  # October's, due since 09:00
        assert [m["Subject"] for m in smtp.messages] == [
            "Social media status: monthly report, October 2026"
        ]
        for moment in (local(2026, 11, 30, 12, 0), local(2026, 12, 1, 8, 59, 59)):
            clock.set(moment)
            assert job(s, engine, clock).run_once() == (0, 0), moment  # November's: not yet
        clock.set(local(2026, 12, 1, 9, 0))
        assert job(s, engine, clock).run_once() == (1, 0)
        clock.advance(minutes=1)
        assert job(s, engine, clock).run_once() == (0, 0)  # a restart, a second replica
        clock.set(local(2026, 12, 15, 9, 0))
        assert job(s, engine, clock).run_once() == (0, 0)
    assert len(smtp.messages) == 2
    message = smtp.messages[1]
    assert message["Subject"] == "Social media status: monthly report, November 2026"
    assert smtp.envelopes[1] == ("bot@example.org", ["board@example.org"])
    assert message["To"] == "board@example.org"
    assert (
        message["X-Xensocial-Id"]
        and message["X-Xensocial-Id"] != smtp.messages[0]["X-Xensocial-Id"]
    )
    assert message_id(message) != message_id(smtp.messages[0])
    html = message.get_body(("html",))
    assert html is not None and "November 2026" in html.get_content()
    pdf, table = list(message.iter_attachments())
    assert [pdf.get_filename(), table.get_filename()] == [
        "report-2026-11.pdf",
        "report-2026-11.csv",
    ]
    assert "November 2026" in pdf_text(pdf.get_content())
    cells = list(csv.reader(io.StringIO(table.get_content())))
    assert cells[0] == ["section", "key", "metric", "value"]
    rows = [(r.period, r.by_hand, r.state) for r in ReportSendStore(engine).latest()]
    assert rows == [("2026-11", False, "sent"), ("2026-10", False, "sent")]


def test_quarterly_is_due_on_the_1st_after_the_quarter(tmp_path: Path, engine: Engine) -> None:
    delivery = DELIVERY + 'period = "quarterly"\nformats = ["csv"]\nat = "07:30"\n'
    clock = FakeClock(local(2026, 10, 1, 7, 29))
    with Smtp() as smtp:
        s = settings(tmp_path, smtp.port, delivery)
        assert job(s, engine, clock).run_once() == (1, 0)  # Q2's, owed since 1 July
        clock.set(local(2026, 10, 1, 7, 30))
        assert job(s, engine, clock).run_once() == (1, 0)  # Q3's
        clock.set(local(2026, 12, 31, 23, 0))
        assert job(s, engine, clock).run_once() == (0, 0)
    assert [m["Subject"].rpartition(", ")[2] for m in smtp.messages] == ["Q2 2026", "Q3 2026"]
    # formats = ["csv"]: the body is the plain-text report alone, the CSV attached.
    assert parts(smtp.messages[1]) == ["text/plain", "text/csv"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_down_is_retried_after_the_backoff(tmp_path: Path, engine: Engine) -> None:
    clock = FakeClock(local(2026, 12, 1, 9, 5))
    down = settings(tmp_path, _closed_port())
    assert job(down, engine, clock).run_once() == (0, 1)
    (row,) = ReportSendStore(engine).latest()
    assert (row.state, row.attempts, row.next_try_at) == (
        "pending", 1, clock() + timedelta(seconds=30)
    )  # fmt: skip
    assert row.last_error is not None and row.last_error.startswith("target 'mail': ")
    with Smtp() as smtp:
        up = settings(tmp_path, smtp.port)
        clock.advance(seconds=29)
        assert job(up, engine, clock).run_once() == (0, 0)  # not before its time
        clock.advance(seconds=1)
        assert job(up, engine, clock).run_once() == (1, 0)
    assert len(smtp.messages) == 1


def test_a_sender_killed_after_its_claim_is_replaced_once(tmp_path: Path, engine: Engine) -> None:
    """The claim is made and the process dies before sending: at its restart the same identity
    takes the row back at once (another replica would after the lease) and sends it once."""
    clock = FakeClock(local(2026, 12, 1, 9, 5))
    with Smtp() as smtp:
        s = settings(tmp_path, smtp.port)
        store = ReportSendStore(engine, clock=clock)
        first = job(s, engine, clock)
        assert first.store.owe("2026-11", "mail", ("board@example.org",), local(2026, 12, 1, 9, 0))
        (row,) = store.due(s.identity)
        assert store.claim(row.id, s.identity, timedelta(minutes=5))  # ...and dies here
        other = ReportDeliveries.for_engine(s, engine, clock=clock)  # a replica: lease held
        assert other.run_once() == (0, 0)
        assert job(s, engine, clock).run_once() == (1, 0)  # the restart
        assert job(s, engine, clock).run_once() == (0, 0)
    assert len(smtp.messages) == 1


def test_a_sender_killed_after_the_server_took_it_sends_the_same_mail(
    tmp_path: Path, engine: Engine
) -> None:
    """The mail is sent and the process dies before the mark: its restart sends the row again,
    with the same Message-ID (mail systems show it once) and the same X-Xensocial-Id."""
    clock = FakeClock(local(2026, 12, 1, 9, 5))
    with Smtp() as smtp:
        s = settings(tmp_path, smtp.port)
        dying = job(s, engine, clock)
        assert dying.store.owe("2026-11", "mail", ("board@example.org",), local(2026, 12, 1, 9, 0))
        (row,) = dying.store.due(s.identity)
        assert dying.store.claim(row.id, s.identity, timedelta(minutes=5))
        report = dying.report_for(period_of(row.period, s.timezone))
        mail_report(s, report, row.target, row.recipients, ("csv",), row.uid)  # ...and dies here
        assert job(s, engine, clock).run_once() == (1, 0)  # the restart
    first, again = smtp.messages
    assert message_id(first) == message_id(again)
    assert message_id(first).startswith(f"<{row.uid}.") and message_id(first).endswith(
        "@example.org>"
    )
    assert first["X-Xensocial-Id"] == again["X-Xensocial-Id"] == row.uid


def test_two_replicas_checking_at_once_send_it_once(tmp_path: Path, engine: Engine) -> None:
    """Two daemons with their own identities, their checks at the same instant (the solo
    lock aside): the record's unique row and the claim leave one mail."""
    clock = FakeClock(local(2026, 12, 1, 9, 0))
    with Smtp() as smtp:
        s = settings(tmp_path, smtp.port)
        replicas = [
            ReportDeliveries.for_engine(replace(s, identity=f"host-{n}"), engine, clock=clock)
            for n in range(3)
        ]
        start = threading.Barrier(len(replicas))

        def check(replica: ReportDeliveries) -> tuple[int, int]:
            start.wait()
            return replica.run_once()

        with ThreadPoolExecutor(len(replicas)) as pool:
            results = list(pool.map(check, replicas))
    assert sorted(results) == [(0, 0), (0, 0), (1, 0)]
    assert len(smtp.messages) == 1
