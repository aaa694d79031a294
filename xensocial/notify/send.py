"""One notification to one target, whatever its kind: the words, the secrets, the sending.

`send(target, notice)` is what the daemon's job and `notify test` both call. It resolves the
target's secrets (`secrets.resolve_refs`, registered for redaction), writes the notification
as text (mail, Matrix, Slack, Discord) or JSON (webhook), and hands it to the kind's sender
(`email.send_email`, `webhooks.send_http`). Text from outside (a network's error, a feed's
name) is made visible here (`content_queue.plaintext.visible`: no controls, no bidi overrides),
and each HTTP kind escapes its own markup.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from content_queue.notices import NoticeRow
from content_queue.plaintext import visible

from .email import NotifyFailed
from .events import title

if TYPE_CHECKING:
    from ..config.notify import NotifyTarget

__all__ = ["payload", "send", "target_secrets", "text", "trial_notice", "unrecorded"]

_PHASE_WORD = {"start": "", "repeat": "still: ", "clear": "cleared: "}


def unrecorded(
    target: str, key: str, severity: str, message: str, at: datetime, phase: str = "start"
) -> NoticeRow:
    """A notification that is not in the record: `notify test`'s, and what is said while the
    database itself is out of reach."""
    return NoticeRow(
        key, target, phase, at, severity, message, id=0, state="pending", attempts=0,
        next_try_at=at, created_at=at, sent_at=None, last_error=None,
    )  # fmt: skip


def trial_notice(target: str, now: datetime) -> NoticeRow:
    """A notification that reports nothing, for `notify test`."""
    message = (
        f"This is a test message from xensocial to the notification target {target}. "
        "If you read it, alerts (a paused channel, a queue running dry...) will reach you here."
    )
    return unrecorded(target, f"test:{target}", "info", message, now)


def subject_line(notice: NoticeRow) -> str:
    """`[xensocial] warning: still: channel x is running out of posts`."""
    head = _PHASE_WORD.get(notice.phase, "") + title(notice.kind, notice.subject)
    return visible(f"[xensocial] {notice.severity}: {head}")


def text(notice: NoticeRow) -> str:
    """The notification as plain text: its subject line, then its paragraph."""
    if notice.phase == "clear":
        body = (
            f"This has cleared: {title(notice.kind, notice.subject)}. Nothing needs doing "
            f"about it any more. What it said when it was on: {notice.message}"
        )
    else:
        body = notice.message
    return f"{subject_line(notice)}\n\n{visible(body)}"


def payload(notice: NoticeRow) -> dict[str, Any]:
    """The notification as a webhook's JSON."""
    return {
        "id": notice.uid,
        "event": notice.kind,
        "subject": notice.subject,
        "phase": notice.phase,
        "severity": notice.severity,
        "title": title(notice.kind, notice.subject),
        "message": notice.message,
        "at": notice.due_at.isoformat(),
        "source": "xensocial",
    }


def target_secrets(target: NotifyTarget, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The target's secrets, resolved and registered for redaction. Raises NotifyFailed (a
    secret that cannot be resolved: the configuration, not the message, is at fault, so it is
    not retried). Alerts and the report's delivery both send through it."""
    from ..errors import SecretError
    from ..redaction import add_secrets
    from ..secrets import resolve_refs

    try:
        secrets = resolve_refs(
            target.name, target.secrets, os.environ if env is None else env, owner="target"
        )
    except SecretError as exc:
        raise NotifyFailed(target.name, str(exc), retry=False) from None
    add_secrets(secrets.values())
    return dict(secrets)


def send(target: NotifyTarget, notice: NoticeRow, env: Mapping[str, str] | None = None) -> None:
    """Deliver `notice` to `target`. Raises NotifyFailed (a secret that cannot be resolved is
    one too: the configuration, not the message, is at fault, so it is not retried)."""
    secrets = target_secrets(target, env)
    if target.kind == "email":
        from .email import identify, send_email, text_message

        message = text_message(target, subject_line(notice), text(notice))
        identify(message, notice.uid, target.options["from"])
        send_email(target, secrets, message)
        return
    from .webhooks import send_http

    send_http(target, secrets, text=text(notice), payload=payload(notice), uid=notice.uid)
