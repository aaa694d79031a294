"""Sending one `email.message.EmailMessage` through an `email` target's SMTP server.

Its own module because two features mail people: alerts (`notify.send`) and the report's
delivery; both build an `EmailMessage` and hand it to `send_email`, which knows the target's
server, its security (`starttls`: plain connection upgraded with STARTTLS, refused if the server
does not offer it; `tls`: TLS from the first byte; `none`: plain text, for a relay on the same
host) and its credentials. Certificates are checked against the system's trust store
(`ssl.create_default_context`); `tls_context` lets a caller (a test's own CA) pass another.

Every mail carries its row's id twice (`identify`): as `X-Xensocial-Id`, and in a `Message-ID`
made from it, a digest of the subject and the sender's domain (`<uid.digest@example.org>`). A row is sent again when the sender
dies after the server took the mail and before the mark is committed; the repeat then has the
same Message-ID, which Gmail, list servers and many mail programs take as one mail and show
once. A mail sent by hand (`notify test`, `report send`) has an id named by the instant it was
asked for, so each is a new message.

Every failure becomes `NotifyFailed`, whose message names the target and never the password:
the SMTP library's answers are passed through `redact_text` first.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TYPE_CHECKING

from ..errors import XensocialError
from ..redaction import redact_text

if TYPE_CHECKING:
    from ..config.notify import NotifyTarget

__all__ = [
    "FALLBACK_DOMAIN",
    "NotifyFailed",
    "identify",
    "message_id",
    "send_email",
    "text_message",
]

FALLBACK_DOMAIN = "xensocial.invalid"  # RFC 2606: a name that is never anyone's
_HOSTNAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")


class NotifyFailed(XensocialError):
    """A notification target refused a message or could not be reached; `retry` says whether
    trying again later may help (a refused login or a 4xx will not)."""

    def __init__(self, target: str, problem: str, *, retry: bool = True) -> None:
        self.target, self.retry = target, retry
        super().__init__(f"target {target!r}: {redact_text(problem)}")


def text_message(target: NotifyTarget, subject: str, body: str) -> EmailMessage:
    """A plain-text message from the target's sender to its recipients. The subject is made
    one line (a line break there would start a header of the sender's choosing)."""
    message = EmailMessage()
    message["From"] = target.options["from"]
    message["To"] = ", ".join(target.options["to"])
    message["Subject"] = " ".join(subject.split())
    message.set_content(body)
    return message


def message_id(uid: str, sender: str, subject: str = "") -> str:
    """The Message-ID of the mail with id `uid` from `sender`: `<uid.s@domain>` (RFC 5322),
    the same for every attempt, so a repeat is recognised as the same mail. `s` is a short
    digest of the subject: the row's id is made from names two installations may share (a
    target called "board", the same time on the 1st, one sender domain for a foundation's
    projects), and a mailbox that drops repeats must not drop the other project's report;
    their subjects name their projects. The domain is the sender's (in ASCII: an
    international one in its IDNA form, lower case, so it stays one name); a sender whose
    domain is no host name (`bot@[127.0.0.1]`, none at all) gives `FALLBACK_DOMAIN`, which
    still makes a well-formed header."""
    _, at, domain = parseaddr(sender)[1].rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:  # an empty or overlong label
        domain = ""
    if not (at and _HOSTNAME.fullmatch(domain)):
        domain = FALLBACK_DOMAIN
    said = hashlib.sha256(" ".join(subject.split()).encode()).hexdigest()[:12]
    return f"<{uid}.{said}@{domain}>"


def identify(message: EmailMessage, uid: str, sender: str) -> None:
    """Give `message` the id of the row it sends (see the module docstring): alerts and the
    report's delivery both call it, once the subject is set, so their mails are named alike."""
    message["X-Xensocial-Id"] = uid
    message["Message-ID"] = message_id(uid, sender, str(message["Subject"] or ""))


def send_email(
    target: NotifyTarget,
    secrets: Mapping[str, str],
    message: EmailMessage,
    *,
    tls_context: ssl.SSLContext | None = None,
) -> None:
    """Send `message` through `target`'s server (its envelope: the target's `from` and `to`,
    whatever the headers say). Raises NotifyFailed."""
    o = target.options
    timeout = target.timeout.total_seconds()
    context = tls_context or ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if o["security"] == "tls":
            smtp = smtplib.SMTP_SSL(o["host"], o["port"], timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(o["host"], o["port"], timeout=timeout)
        with smtp:
            if o["security"] == "starttls":
                smtp.starttls(context=context)  # SMTPNotSupportedError when not offered
            if o.get("username"):
                smtp.login(o["username"], secrets.get("password", ""))
            smtp.send_message(message, from_addr=o["from"], to_addrs=list(o["to"]))
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyFailed(
            target.name, f"the SMTP server refused the login: {exc.smtp_code}", retry=False
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise NotifyFailed(
            target.name, f'{o["host"]} does not offer STARTTLS (security = "starttls")', retry=False
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise NotifyFailed(
            target.name, f"recipients refused: {', '.join(exc.recipients)}", retry=False
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise NotifyFailed(target.name, f"{type(exc).__name__}: {exc}") from None
