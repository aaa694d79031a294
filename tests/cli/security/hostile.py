"""A network that fails in the worst way for secrets: it repeats every request back.

A `HostileServer` is the shared `FakeServer` (its lifecycle, address and request log) with
no routes: every request, any method on any path (so every adapter's API is covered without
knowing it), gets one kind of failure:

- "revoked": 401, as a revoked token gets;
- "server": 500;
- "echo": 400, a "bad request" whose error message is the request itself;
- "timeout": no answer until the client gives up (then the connection is closed).

The 401, 500 and 400 bodies carry the whole request (method, path and query, every header,
the body) in every field the networks' client libraries read an error message from (`error`,
`error.message`, `message`, `detail`, `errors[].message`, `error_description`): whatever the
adapter sent, its token included, comes back in the error it sees. `seen()` holds the raw
requests, to prove afterwards that the secrets really went out.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from tests.fakes.server import FakeServer, Reply

__all__ = ["MODES", "HostileServer"]

MODES = ("revoked", "server", "echo", "timeout")
_STATUS = {"revoked": 401, "server": 500, "echo": 400}


class HostileServer(FakeServer):
    def __init__(self, mode: str, hang: float = 5.0) -> None:
        assert mode in MODES, mode
        super().__init__()
        self.mode, self.hang = mode, hang
        self._raw: list[bytes] = []  # each request's line, headers and body

    def seen(self) -> bytes:
        with self._lock:
            return b"\n".join(self._raw)

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self._lock:
            self._raw.append(
                f"{h.command} {h.path}\n{h.headers}".encode("latin-1", "replace") + body
            )
        if self.mode == "timeout":
            self._stopping.wait(self.hang)
            h.close_connection = True
            return
        echo = (
            f"{h.command} {h.path} headers={dict(h.headers)} body={body.decode('utf-8', 'replace')}"
        )
        self._send(
            h,
            Reply(
                _STATUS[self.mode],
                {
                    "error": {"message": f"refused: {echo}", "type": "OAuthException", "code": 190},
                    "message": f"refused: {echo}",
                    "detail": echo,
                    "title": "Refused",
                    "errors": [{"message": echo, "code": 89}],
                    "error_description": echo,
                },
            ),
        )
