"""A `multipart/form-data` body read as the networks' upload endpoints read it.

The fakes' upload routes (Mastodon's `/api/v2/media`, X's `/2/media/upload`, Facebook's
`/{page}/photos`) receive files this way; the standard library's `email` parser reads the parts,
so each fake sees the fields and the file bytes the client library really sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from .server import Request

__all__ = ["Part", "parts"]


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def parts(request: Request) -> dict[str, Part]:
    """The body's parts by field name (the last of a repeated name); {} when not multipart."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return {}
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    out: dict[str, Part] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        out[name] = Part(name, data, part.get_filename(), part.get_content_type())
    return out
