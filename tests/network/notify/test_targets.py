"""Each kind of target, sent to through its real client over real sockets on 127.0.0.1: mail
to a real SMTP server (parsed back), a webhook (its HMAC checked), a Matrix homeserver fake (a
repeated transaction id makes one message), Slack and Discord bodies (hostile text escaped)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from content_queue.notices import NoticeRow
from tests.fakes.notify import MATRIX_TOKEN, Smtp, message_id, receivers, tls_pair
from tests.fakes.server import FakeServer, Fault
from tests.storage.exports.conftest import free_port, settings_for
from xensocial.config.notify import NotifyTarget
from xensocial.notify.email import FALLBACK_DOMAIN, NotifyFailed, send_email, text_message
from xensocial.notify.email import message_id as make_message_id
from xensocial.notify.send import send, trial_notice
from xensocial.notify.webhooks import DISCORD_MAX

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRETS = {
    "SMTP_PASSWORD": "smtp-password-123",
    "HOOK_SECRET": "hook-hmac-secret-456",
    "MATRIX_TOKEN": MATRIX_TOKEN,
}


def notice(
    message: str = "Channel mastodon was paused: auth failed.", phase: str = "start"
) -> NoticeRow:
    return NoticeRow(
        "channel_paused:mastodon", "t", phase, AT, "critical", message, id=7, state="pending",
        attempts=0, next_try_at=AT, created_at=AT, sent_at=None, last_error=None,
    )  # fmt: skip


def target(tmp_path: Path, table: str) -> NotifyTarget:
    (found,) = settings_for(tmp_path, "sqlite:///q.db", '\n[[notify]]\nname = "t"\n' + table).notify
    return found


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def mail_target(tmp_path: Path, port: int, extra: str = "") -> NotifyTarget:
    return target(
        tmp_path,
        f'kind = "email"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'username = "bot"\nfrom = "xensocial@example.org"\n'
        'to = ["comms@example.org", "ops@example.org"]\n' + extra
        + '[notify.secrets]\npassword = "env:SMTP_PASSWORD"\n',
    )  # fmt: skip


def test_mail_reaches_a_real_smtp_server_and_parses_back(tmp_path: Path) -> None:
    with Smtp({"bot": SECRETS["SMTP_PASSWORD"]}) as smtp:
        send(mail_target(tmp_path, smtp.port), notice(), env=SECRETS)
    (message,) = smtp.messages
    assert smtp.envelopes == [("xensocial@example.org", ["comms@example.org", "ops@example.org"])]
    assert message["Subject"] == "[xensocial] critical: channel mastodon is paused"
    assert message["From"] == "xensocial@example.org"
    assert message["To"] == "comms@example.org, ops@example.org"
    assert message["X-Xensocial-Id"] == notice().uid
    body = message.get_content()
    assert "Channel mastodon was paused: auth failed." in body
    assert SECRETS["SMTP_PASSWORD"] not in message.as_string()


def test_a_cleared_event_says_so(tmp_path: Path) -> None:
    with Smtp({"bot": SECRETS["SMTP_PASSWORD"]}) as smtp:
        send(mail_target(tmp_path, smtp.port), notice(phase="clear"), env=SECRETS)
    (message,) = smtp.messages
    assert message["Subject"] == "[xensocial] critical: cleared: channel mastodon is paused"
    assert "This has cleared" in message.get_content()


def test_a_notice_sent_twice_is_recognisably_the_same_mail(tmp_path: Path) -> None:
    """A sender that died after the server took the mail sends its row again: the same
    Message-ID (mail systems show it once); another row, or a trial sent by hand at another
    instant, a different one."""
    with Smtp({"bot": SECRETS["SMTP_PASSWORD"]}) as smtp:
        t = mail_target(tmp_path, smtp.port)
        for row in (notice(), notice(), notice(phase="clear"), trial_notice("t", AT)):
            send(t, row, env=SECRETS)
        send(t, trial_notice("t", AT + timedelta(seconds=1)), env=SECRETS)
    ids = [message_id(m) for m in smtp.messages]
    assert ids[0] == ids[1]
    assert ids[0].startswith(f"<{notice().uid}.") and ids[0].endswith("@example.org>")
    assert len(set(ids)) == 4
    assert [m["X-Xensocial-Id"] for m in smtp.messages[:2]] == [notice().uid] * 2


@pytest.mark.parametrize(
    ("sender", "domain"),
    [
        ("<bot@Mail.Example.ORG>", "mail.example.org"),
        ("bot@bücher.example", "xn--bcher-kva.example"),
        ("bot@[192.0.2.1]", FALLBACK_DOMAIN),
        ("bot@a..b", FALLBACK_DOMAIN),
        ("bot@-a-.example", FALLBACK_DOMAIN),
        ("bot", FALLBACK_DOMAIN),
    ],
)
def test_the_message_id_names_the_senders_host_or_a_fixed_one(sender: str, domain: str) -> None:
    made = make_message_id("0123abcd", sender, "Xen Project: alert")
    assert re.fullmatch(rf"<0123abcd\.[0-9a-f]{{12}}@{re.escape(domain)}>", made), made


def test_the_message_id_tells_two_projects_subjects_apart() -> None:
    """Two installations may share a row's id (same target name, time and sender domain):
    their subjects name their projects, and so their Message-IDs differ."""
    xen = make_message_id("0123abcd", "bot@example.org", "Xen Project: monthly report")
    kvm = make_message_id("0123abcd", "bot@example.org", "KVM: monthly report")
    assert xen != kvm
    assert xen == make_message_id("0123abcd", "bot@example.org", "Xen Project:  monthly report")


def test_an_odd_sender_still_makes_a_well_formed_message_id(tmp_path: Path) -> None:
    with Smtp({"bot": SECRETS["SMTP_PASSWORD"]}) as smtp:
        t = mail_target(tmp_path, smtp.port)
        send(replace(t, options={**t.options, "from": "bot@[127.0.0.1]"}), notice(), env=SECRETS)
    received = message_id(smtp.messages[0])
    assert received.startswith(f"<{notice().uid}.") and received.endswith(f"@{FALLBACK_DOMAIN}>")


def test_a_refused_login_is_not_retried_and_names_no_password(tmp_path: Path) -> None:
    with Smtp({"bot": "another-password"}) as smtp, pytest.raises(NotifyFailed) as caught:
        send(mail_target(tmp_path, smtp.port), notice(), env=SECRETS)
    assert not caught.value.retry
    assert "refused the login" in str(caught.value)
    assert SECRETS["SMTP_PASSWORD"] not in str(caught.value)
    assert smtp.messages == []


def test_a_server_that_does_not_answer_is_retried_later(tmp_path: Path) -> None:
    with pytest.raises(NotifyFailed) as caught:
        send(mail_target(tmp_path, free_port()), notice(), env=SECRETS)
    assert caught.value.retry
    assert "ConnectionRefusedError" in str(caught.value)


def test_starttls_refused_when_the_server_does_not_offer_it(tmp_path: Path) -> None:
    with Smtp({"bot": SECRETS["SMTP_PASSWORD"]}) as smtp, pytest.raises(NotifyFailed) as caught:
        plain = mail_target(tmp_path, smtp.port)
        starttls = replace(plain, options={**plain.options, "security": "starttls"})
        send(starttls, notice(), env=SECRETS)
    assert "does not offer STARTTLS" in str(caught.value)
    assert not caught.value.retry and smtp.messages == []


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_over_tls_checks_the_certificate(tmp_path: Path, security: str) -> None:
    server_tls, client_tls = tls_pair(tmp_path)
    password = SECRETS["SMTP_PASSWORD"]
    with Smtp({"bot": password}, tls=server_tls, security=security) as smtp:
        plain = mail_target(tmp_path, smtp.port)
        secure = replace(plain, options={**plain.options, "security": security})
        message = text_message(secure, "over TLS", "a body")
        send_email(secure, {"password": password}, message, tls_context=client_tls)
        # The system's trust store does not know the test's CA: refused, never sent in clear.
        with pytest.raises(NotifyFailed) as caught:
            send_email(secure, {"password": password}, text_message(secure, "no", "no"))
    assert [m["Subject"] for m in smtp.messages] == ["over TLS"]
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


def test_a_missing_secret_is_a_failure_naming_the_target(tmp_path: Path) -> None:
    with pytest.raises(NotifyFailed) as caught:
        send(mail_target(tmp_path, free_port()), notice(), env={})
    assert "target 't', secret 'password': environment variable SMTP_PASSWORD is not set" in str(
        caught.value
    )
    assert not caught.value.retry


def test_webhook_json_is_signed_over_its_exact_body(tmp_path: Path, server: FakeServer) -> None:
    receivers(server)
    hook = target(
        tmp_path,
        f'kind = "webhook"\nurl = "{server.url}/hook"\n[notify.secrets]\nsecret = "env:HOOK_SECRET"\n',
    )
    send(hook, notice(), env=SECRETS)
    (request,) = server.requests("POST", "/hook")
    expected = hmac.new(SECRETS["HOOK_SECRET"].encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-xensocial-signature"], "sha256=" + expected)
    assert request.headers["x-xensocial-id"] == notice().uid
    body = request.json()
    assert (body["event"], body["subject"], body["phase"], body["severity"]) == (
        "channel_paused", "mastodon", "start", "critical",
    )  # fmt: skip
    assert body["id"] == notice().uid and body["message"] == notice().message


def test_webhook_without_a_secret_is_not_signed(tmp_path: Path, server: FakeServer) -> None:
    receivers(server)
    send(target(tmp_path, f'kind = "webhook"\nurl = "{server.url}/hook"\n'), notice(), env={})
    (request,) = server.requests("POST", "/hook")
    assert "x-xensocial-signature" not in request.headers


@pytest.mark.parametrize(
    ("status", "retry"), [(503, True), (429, True), (404, False), (401, False)]
)
def test_webhook_errors_say_whether_to_retry(
    tmp_path: Path, server: FakeServer, status: int, retry: bool
) -> None:
    receivers(server)
    server.fault("POST", "/hook", Fault.respond(status, {"error": "no"}))
    with pytest.raises(NotifyFailed) as caught:
        send(target(tmp_path, f'kind = "webhook"\nurl = "{server.url}/hook"\n'), notice(), env={})
    assert caught.value.retry is retry
    assert f"HTTP {status}" in str(caught.value)


def matrix_target(tmp_path: Path, server: FakeServer) -> NotifyTarget:
    return target(
        tmp_path,
        f'kind = "matrix"\nhomeserver = "{server.url}"\nroom = "!room:example.org"\n'
        '[notify.secrets]\naccess_token = "env:MATRIX_TOKEN"\n',
    )


def test_matrix_the_same_transaction_twice_makes_one_message(
    tmp_path: Path, server: FakeServer
) -> None:
    events = receivers(server)
    room = matrix_target(tmp_path, server)
    send(room, notice(), env=SECRETS)
    send(room, notice(), env=SECRETS)  # a retry after a lost answer: same transaction id
    assert len(server.requests("PUT")) == 2
    (event,) = events
    assert event["room"] == "!room:example.org" and event["msgtype"] == "m.text"
    assert event["body"].startswith("[xensocial] critical: channel mastodon is paused\n\n")
    assert server.requests("PUT")[0].path.endswith("/" + notice().uid)
    send(room, notice(phase="clear"), env=SECRETS)  # another notification: another message
    assert len(events) == 2


def test_matrix_a_refused_token_is_not_retried(tmp_path: Path, server: FakeServer) -> None:
    receivers(server)
    with pytest.raises(NotifyFailed) as caught:
        send(matrix_target(tmp_path, server), notice(), env={"MATRIX_TOKEN": "a-wrong-token"})
    assert not caught.value.retry and "HTTP 401" in str(caught.value)
    assert "a-wrong-token" not in str(caught.value)


HOSTILE = "Feed <!channel> & @everyone **bold** " + "x" * 3000


def test_slack_and_discord_bodies_escape_hostile_text(tmp_path: Path, server: FakeServer) -> None:
    receivers(server)
    env = {"SLACK_URL": f"{server.url}/slack", "DISCORD_URL": f"{server.url}/discord"}
    for kind, var in (("slack", "SLACK_URL"), ("discord", "DISCORD_URL")):
        send(
            target(tmp_path, f'kind = "{kind}"\n[notify.secrets]\nurl = "env:{var}"\n'),
            notice(HOSTILE),
            env=env,
        )
    slack: dict[str, Any] = server.requests("POST", "/slack")[0].json()
    discord: dict[str, Any] = server.requests("POST", "/discord")[0].json()
    assert set(slack) == {"text"}
    assert "&lt;!channel&gt; &amp; @everyone" in slack["text"] and "<!channel>" not in slack["text"]
    assert discord["allowed_mentions"] == {"parse": []}
    assert len(discord["content"]) == DISCORD_MAX
    assert r"\@everyone \*\*bold\*\*" in discord["content"]


def test_a_trial_notice_reads_as_one(tmp_path: Path, server: FakeServer) -> None:
    receivers(server)
    send(
        target(tmp_path, f'kind = "webhook"\nurl = "{server.url}/hook"\n'),
        trial_notice("t", AT),
        env={},
    )
    body = json.loads(server.requests("POST", "/hook")[0].body)
    assert (body["event"], body["severity"]) == ("test", "info")
    assert "test message" in body["message"]
