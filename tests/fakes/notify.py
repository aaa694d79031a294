"""Fake notification receivers: a webhook, a Matrix homeserver, Slack and Discord incoming
webhooks (on the shared `FakeServer`, real HTTP on 127.0.0.1), and a real SMTP server
(aiosmtpd, which implements the protocol) that keeps every message it accepted.

- `POST /hook`: any JSON; answered 200. The request is in `server.log` (headers, body bytes);
  `hook_said` lists the (event, subject, phase) of each.
- `PUT /_matrix/client/v3/rooms/:room/send/m.room.message/:txn`, `Authorization: Bearer
  TOKEN`: creates one room event per (token, room, txn); a repeated PUT answers the event it
  already made and creates nothing, as the client-server API requires. `matrix_events` is
  what was created. A wrong token -> 401 `M_UNKNOWN_TOKEN`.
- `POST /slack`, `POST /discord`: answered as those services do (200 "ok", 204).

`Smtp(users)` starts aiosmtpd on a free port; with `users` ({name: password}) it offers AUTH
and refuses wrong credentials with 535. `messages` are parsed `EmailMessage`s, `envelopes` the
(from, to) each was sent with. With `tls` (a server `ssl.SSLContext`, see `tls_pair`) and
`security="starttls"` it offers STARTTLS and AUTH only after it, as a real submission port
does; with `security="tls"` it speaks TLS from the first byte. `tls_pair(folder)` makes a
throw-away CA and a certificate for 127.0.0.1: the server's context and a client's that
trusts that CA alone. `message_id(message)` is a received message's one Message-ID, checked
well-formed (RFC 5322 `<left@right>`, as `email.headerregistry` parses it).
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import socket
import ssl
from collections.abc import Mapping
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from tests.fakes.server import FakeServer, Reply, Request

__all__ = ["MATRIX_TOKEN", "Smtp", "hook_said", "message_id", "receivers", "tls_pair"]

MATRIX_TOKEN = "syt_matrix_token_for_tests"


def receivers(server: FakeServer) -> list[dict[str, Any]]:
    """Route the receivers on `server`; returns the Matrix room events (filled as they come)."""
    events: list[dict[str, Any]] = []
    by_txn: dict[tuple[str, str, str], str] = {}
    counter = itertools.count(1)

    def matrix(request: Request) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token != MATRIX_TOKEN:
            return Reply(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Unknown access token"})
        key = (token, unquote(request.params["room"]), request.params["txn"])
        if key not in by_txn:
            by_txn[key] = f"$event{next(counter)}"
            events.append({"room": key[1], "event_id": by_txn[key], **request.json()})
        return Reply(200, {"event_id": by_txn[key]})

    server.route("POST", "/hook", lambda request: Reply(200, {"ok": True}))
    server.route("PUT", "/_matrix/client/v3/rooms/:room/send/m.room.message/:txn", matrix)
    server.route("POST", "/slack", lambda request: Reply(200, b"ok"))
    server.route("POST", "/discord", lambda request: Reply(204, b""))
    return events


def hook_said(server: FakeServer) -> list[tuple[str, str, str]]:
    """What the webhook receiver (`POST /hook`) heard, in order: (event, subject, phase)."""
    bodies = [r.json() for r in server.requests("POST", "/hook")]
    return [(b["event"], b["subject"], b["phase"]) for b in bodies]


def message_id(message: EmailMessage) -> str:
    """The Message-ID of a message as `Smtp` parsed it (`email.policy.default`: the header is
    `email.headerregistry`'s, which records a malformed msg-id as a defect): one header, no
    defect, `<left@right>` with nothing around it."""
    (header,) = message.get_all("Message-ID") or [None]
    assert header is not None and header.defects == (), header
    value = str(header)
    left, at, right = value.removeprefix("<").removesuffix(">").partition("@")
    assert value == f"<{left}@{right}>" and at and left and right and "@" not in right, value
    assert value.isprintable() and " " not in value, value
    return value


class Smtp:
    """A real SMTP server on 127.0.0.1 for one test (see the module docstring)."""

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        security: str = "none",
    ) -> None:
        self.users = dict(users or {})
        self.tls, self.security = tls, security
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._controller: Any = None
        self.port = 0

    def __enter__(self) -> Smtp:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        smtp = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                parsed = message_from_bytes(envelope.original_content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                smtp.messages.append(parsed)
                smtp.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                return "250 OK"

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            ok = (
                isinstance(data, LoginPassword)
                and smtp.users.get(data.login.decode()) == data.password.decode()
            )
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

        options: dict[str, Any] = {}
        if self.users:
            options = {
                "authenticator": authenticate,
                "auth_require_tls": self.security == "starttls",
                "auth_exclude_mechanism": ["LOGIN"],  # PLAIN alone: one answer per try
            }
        if self.security == "starttls":
            options |= {"tls_context": self.tls, "require_starttls": True}
        elif self.security == "tls":
            options["ssl_context"] = self.tls
        # aiosmtpd checks its server by connecting to the port it was given: a real one.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()


def tls_pair(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 signed by a new CA, and a client
    context that trusts that CA (and nothing else)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xensocial test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(cert.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    return server, client
