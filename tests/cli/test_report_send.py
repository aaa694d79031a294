"""`xensocial report send` in process against a real SMTP server on 127.0.0.1: one report
mailed by hand and recorded as such (the scheduled delivery still goes out), a server down is
exit 1, and bad input (options, addresses, targets, `[[report.deliveries]]`) is one line, exit 2,
nothing changed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from content_queue import make_engine
from content_queue.report_sends import ReportSendStore
from tests.cli.conftest import CONFIG, CliHarness, write_config
from tests.conftest import FakeClock
from tests.fakes.notify import Smtp, message_id
from tests.network.notify.test_report_job import pdf_text
from xensocial.config import load_settings
from xensocial.notify.reports import ReportDeliveries


def mail(port: int) -> str:
    return (
        f'\n[[notify]]\nname = "mail"\nkind = "email"\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nfrom = "bot@example.org"\nto = ["comms@example.org"]\n'
        '\n[[notify]]\nname = "hook"\nkind = "webhook"\nurl = "http://127.0.0.1:9/hook"\n'
    )


DELIVERY = '\n[[report.deliveries]]\ntarget = "mail"\nto = ["board@example.org"]\n'


def harness(tmp_path: Path, clock: FakeClock, extra: str) -> CliHarness:
    cli = CliHarness(
        write_config(tmp_path, text=CONFIG + extra), tmp_path / "data" / "queue.db", clock
    )
    cli.ok("db", "upgrade")
    return cli


def rows(cli: CliHarness) -> list[tuple[str, str, tuple[str, ...], bool, str]]:
    engine = make_engine(f"sqlite:///{cli.db}")
    try:
        return [
            (r.period, r.target, r.recipients, r.by_hand, r.state)
            for r in ReportSendStore(engine).latest()
        ]
    finally:
        engine.dispose()


def test_report_send_mails_one_by_hand_and_records_it(tmp_path: Path, clock: FakeClock) -> None:
    with Smtp() as smtp:
        cli = harness(tmp_path, clock, mail(smtp.port) + DELIVERY)
        result = cli.ok("report", "send", "--month", "2026-01", "--to", "me@example.org")
        assert result.stdout.startswith(
            "Sent the monthly report for January 2026 through mail to me@example.org: the HTML "
            "report as the body, attached report-2026-01.pdf, report-2026-01.csv ("
        ) and result.stdout.endswith(" bytes).\n"), result.stdout
        assert cli.ok("report", "send", "--quarter", "2025-Q4", "--to", "a@example.org",
                      "--to", "b@example.org", "--target", "mail")  # fmt: skip
        assert smtp.envelopes == [
            ("bot@example.org", ["me@example.org"]),
            ("bot@example.org", ["a@example.org", "b@example.org"]),
        ]
        first, second = smtp.messages
        assert first["Subject"] == "Social media status: monthly report, January 2026"
        assert second["Subject"] == "Social media status: quarterly report, Q4 2025"
        html = first.get_body(("html",))
        assert html is not None and "<html" in html.get_content()
        pdf, attached = list(first.iter_attachments())
        assert "January 2026" in pdf_text(pdf.get_content())
        table = list(csv.reader(io.StringIO(attached.get_content())))
        assert table[0] == ["section", "key", "metric", "value"]
        assert rows(cli) == [
            ("2025-Q4", "mail", ("a@example.org", "b@example.org"), True, "sent"),
            ("2026-01", "mail", ("me@example.org",), True, "sent"),
        ]
        listed = cli.ok("notify", "list").stdout
        assert "2026-03-02 09:00  2026-01  mail    me@example.org" in listed, listed
        assert "by hand  sent   1" in listed
        mailed = cli.json("notify", "list")["reports"]
        assert [(r["period"], r["to"], r["by_hand"]) for r in mailed] == [
            ("2025-Q4", ["a@example.org", "b@example.org"], True),
            ("2026-01", ["me@example.org"], True),
        ]
        # Sent by hand stands in for nothing: the board's scheduled copy still goes out.
        engine = make_engine(f"sqlite:///{cli.db}")
        try:
            job = ReportDeliveries.for_engine(load_settings(cli.config), engine, clock=clock)
            assert job.run_once() == (1, 0)  # clock: 2 March 2026, February's report
        finally:
            engine.dispose()
        clock.advance(minutes=1)  # the same by hand again: a new mail, not a repeat
        cli.ok("report", "send", "--month", "2026-01", "--to", "me@example.org")
    assert smtp.envelopes[2] == ("bot@example.org", ["board@example.org"])
    assert smtp.messages[3]["Subject"] == first["Subject"]
    assert len({message_id(m) for m in smtp.messages}) == 4


def test_report_send_with_the_server_down_is_exit_1(tmp_path: Path, clock: FakeClock) -> None:
    with Smtp() as smtp:
        port = smtp.port
    cli = harness(tmp_path, clock, mail(port))
    result = cli.run("report", "send", "--month", "2026-01", "--to", "me@example.org")
    assert result.exit_code == 1, result.stdout
    assert "the report was not sent: target 'mail': ConnectionRefusedError" in result.stderr
    assert rows(cli) == []  # the command's one transaction: nothing kept


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--to", "me@example.org"), "give one of --month YYYY-MM or --quarter YYYY-Qn"),
        (("--month", "2026-01", "--quarter", "2026-Q1", "--to", "me@example.org"), "give one"),
        (("--month", "2026-13", "--to", "me@example.org"), "--month: '2026-13' is not a month"),
        (("--quarter", "2026-Q5", "--to", "me@example.org"), "--quarter: '2026-Q5' is not a"),
        (("--month", "2026-01", "--to", "me\nBcc: x@example.org"), "--to: 'me\\nBcc:"),
        (("--month", "2026-01", "--to", "me@example.org", "--target", "nope"), "no notification"),
        (("--month", "2026-01", "--to", "me@example.org", "--target", "hook"), "not an email"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, clock: FakeClock, args: tuple[str, ...], says: str
) -> None:
    cli = harness(tmp_path, clock, mail(25) + DELIVERY)
    result = cli.refused("report", "send", *args)
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr


def test_without_a_target_to_choose_it_is_asked_for(tmp_path: Path, clock: FakeClock) -> None:
    second = '\n[[notify]]\nname = "mail2"\nkind = "email"\nhost = "127.0.0.1"\n' + (
        'from = "bot@example.org"\nto = ["comms@example.org"]\n'
    )
    cli = harness(tmp_path, clock, mail(25) + second)
    result = cli.refused("report", "send", "--month", "2026-01", "--to", "me@example.org")
    assert result.stderr == (
        "error: --target: name the email [[notify]] target to send through (mail, mail2)\n"
    )


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('target = "nope"\n', "report.deliveries[0].target: expected the name of an email"),
        ('target = "hook"\n', "report.deliveries[0].target: expected the name of an email"),
        ('to = ["board@example.org"]\n', "report.deliveries[0].target: missing"),
        ('target = "mail"\nto = ["not an address"]\n', "report.deliveries[0].to: expected"),
        ('target = "mail"\nperiod = "weekly"\n', "expected monthly or quarterly, got 'weekly'"),
        ('target = "mail"\nday = 31\n', "report.deliveries[0].day: expected a day"),
        ('target = "mail"\nat = "9am"\n', "report.deliveries[0].at: expected a local time"),
        ('target = "mail"\nformats = ["doc"]\n', "report.deliveries[0].formats: expected"),
        ('target = "mail"\nwhen = "soon"\n', "report.deliveries[0].when: unknown key"),
    ],
)
def test_a_bad_delivery_table_is_one_line_exit_2(
    tmp_path: Path, clock: FakeClock, table: str, says: str
) -> None:
    cli = CliHarness(
        write_config(tmp_path, text=CONFIG + mail(25) + "\n[[report.deliveries]]\n" + table),
        tmp_path / "data" / "queue.db",
        clock,
    )
    for command in (("report", "send", "--month", "2026-01", "--to", "a@example.org"), ("run",)):
        result = cli.run(*command)
        assert result.exit_code == 2, result.stdout
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert says in result.stderr, result.stderr
