"""The address guard's classification, and what it does with a resolver's answers.

The resolver is the system's (`socket.getaddrinfo`); to stand for DNS answers that cannot be
produced on a test machine (a public name resolving to a private address, a mixed answer),
`getaddrinfo` itself is replaced: it is the network's part, not ours."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from tests.fakes.server import FakeServer, Reply
from xensocial.intake.fetch import FetchError, FetchLimits, fetch
from xensocial.intake.netguard import AddressRefusedError, check_host, refusal_reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.5.6.7", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback (embedded in IPv6)"),
        ("::ffff:10.0.0.1", "private (embedded in IPv6)"),
        ("2002:7f00:1::", "loopback (embedded in IPv6)"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local (embedded in IPv6)"),  # NAT64 of 169.254.169.254
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:93.184.215.14", None),
    ],
)
def test_refusal_reasons(address: str, reason: str | None) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) == reason


def _resolver(answers: dict[str, list[str]]) -> Any:
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        out = []
        for a in answers[host]:
            family = socket.AF_INET6 if ":" in a else socket.AF_INET
            sockaddr = (a, int(port), 0, 0) if ":" in a else (a, int(port))
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    return getaddrinfo


def test_one_private_answer_refuses_the_whole_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # A name resolving to a public and a private address: the rebinding trick of hoping the
    # check sees one and the connection uses the other. The guard refuses the name.
    monkeypatch.setattr(
        socket, "getaddrinfo", _resolver({"mixed.example": ["93.184.215.14", "10.0.0.7"]})
    )
    with pytest.raises(AddressRefusedError, match=r"mixed\.example \(10\.0\.0\.7\): private"):
        check_host("mixed.example", 80, allow_private=False)
    assert len(check_host("mixed.example", 80, allow_private=True)) == 2


def test_a_public_name_resolving_to_loopback_is_refused_then_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolver({"feed.example": ["127.0.0.1"]}))
    with FakeServer() as server:
        server.route("GET", "/feed", lambda r: Reply(200, b"<rss/>"))
        port = server.url.rsplit(":", 1)[1]
        with pytest.raises(FetchError, match=r"feed\.example \(127\.0\.0\.1\): loopback") as info:
            fetch(f"http://feed.example:{port}/feed", limits=FetchLimits())
        assert info.value.refused and server.log == []
        # Allowed, the connection goes to the address that was checked, and the request still
        # names the host (virtual hosting works).
        result = fetch(
            f"http://feed.example:{port}/feed", limits=FetchLimits(allow_private_addresses=True)
        )
        assert result.body == b"<rss/>"
        assert server.log[0].headers["host"] == f"feed.example:{port}"


def test_an_unresolvable_name_is_a_clear_error() -> None:
    with pytest.raises(FetchError, match="cannot resolve host 'nowhere.invalid'") as info:
        fetch("http://nowhere.invalid/feed", limits=FetchLimits())
    assert not info.value.refused
