"""`[[notify]]` and `[alerts]`: each kind's keys, secrets only by reference, bad values named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.storage.exports.conftest import settings_for
from xensocial.config.notify import EVENT_KINDS
from xensocial.errors import ConfigError

EMAIL = """
[[notify]]
name = "mail"
kind = "email"
host = "smtp.example.org"
security = "tls"
username = "bot"
from = "bot@example.org"
to = ["comms@example.org", "ops@example.org"]
[notify.secrets]
password = "env:SMTP_PASSWORD"
"""


def test_an_email_target_with_defaults(tmp_path: Path) -> None:
    (target,) = settings_for(tmp_path, "sqlite:///q.db", EMAIL).notify
    assert (target.name, target.kind, target.min_severity) == ("mail", "email", "info")
    assert target.events == frozenset(EVENT_KINDS)
    assert target.repeat == timedelta(days=1)
    assert target.options["port"] == 465  # the port of security = "tls"
    assert target.options["to"] == ("comms@example.org", "ops@example.org")
    assert target.secrets == {"password": "env:SMTP_PASSWORD"}


def test_alerts_defaults_and_values(tmp_path: Path) -> None:
    assert settings_for(tmp_path, "sqlite:///q.db").alerts.queue_dry_days == 3
    alerts = settings_for(
        tmp_path, "sqlite:///q.db", '\n[alerts]\nqueue_dry_days = 5\nfeed_failing_after = "2h"\n'
    ).alerts
    assert (alerts.queue_dry_days, alerts.feed_failing_after) == (5, timedelta(hours=2))


def test_each_http_kind(tmp_path: Path) -> None:
    text = """
[[notify]]
name = "hook"
kind = "webhook"
url = "https://hooks.example.org/x"
events = ["queue_dry"]
min_severity = "warning"
repeat = "6h"
[[notify]]
name = "room"
kind = "matrix"
homeserver = "https://matrix.example.org/"
room = "!abc:example.org"
[notify.secrets]
access_token = "file:/run/secrets/matrix"
[[notify]]
name = "slack"
kind = "slack"
[notify.secrets]
url = "env:SLACK_URL"
"""
    hook, room, slack = settings_for(tmp_path, "sqlite:///q.db", text).notify
    assert hook.events == {"queue_dry"} and hook.repeat == timedelta(hours=6)
    assert hook.wants("queue_dry", "critical") and not hook.wants("queue_dry", "info")
    assert not hook.wants("channel_paused", "critical")
    assert room.options["homeserver"] == "https://matrix.example.org"
    assert slack.secrets == {"url": "env:SLACK_URL"}


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ('[[notify]]\nname = "x"\nkind = "pager"\n', "notify[0].kind", "expected one of email"),
        ('[[notify]]\nkind = "slack"\n', "notify[0].name", "missing"),
        ('[[notify]]\nname = "x"\nkind = "slack"\n', "notify[0].secrets.url", "missing"),
        (
            '[[notify]]\nname = "x"\nkind = "slack"\n[notify.secrets]\nurl = "https://hooks.slack.com/T/B/secretvalue"\n',
            "notify[0].secrets.url",
            "never written inline",
        ),
        (
            '[[notify]]\nname = "x"\nkind = "webhook"\nurl = "ftp://example.org"\n',
            "notify[0].url",
            "http(s) URL",
        ),
        (
            '[[notify]]\nname = "x"\nkind = "webhook"\nurl = "https://e.org"\nevents = ["nope"]\n',
            "notify[0].events",
            "unknown event 'nope'",
        ),
        (
            '[[notify]]\nname = "x"\nkind = "webhook"\nurl = "https://e.org"\nmin_severity = "loud"\n',
            "notify[0].min_severity",
            "info, warning or critical",
        ),
        (
            '[[notify]]\nname = "x"\nkind = "webhook"\nurl = "https://e.org"\nhost = "h"\n',
            "notify[0].host",
            "unknown key",
        ),
        (
            EMAIL.replace('"ops@example.org"', '"ops@example.org\\nBcc: x@y.z"'),
            "notify[0].to",
            "addresses",
        ),
        (EMAIL.replace('security = "tls"', 'security = "ssl"'), "notify[0].security", "starttls"),
        (EMAIL.replace('username = "bot"\n', ""), "notify[0].secrets.password", "username"),
        (EMAIL + EMAIL, "notify[1].name", "duplicate"),
        ("[alerts]\nqueue_dry_days = 0\n", "alerts.queue_dry_days", "1 to 60"),
    ],
)
def test_bad_tables_are_named(tmp_path: Path, text: str, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_for(tmp_path, "sqlite:///q.db", "\n" + text)
    assert caught.value.key == key
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "secretvalue" not in str(caught.value)
