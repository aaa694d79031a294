"""Which network addresses intake may connect to, and the resolution that decides it.

The daemon fetches URLs that staff paste and that feeds redirect to. Without a guard, a URL
like `http://169.254.169.254/latest/meta-data/` or `http://localhost:5432/` would steer it into
the cloud metadata service or the local network (server-side request forgery). So every host is
resolved here and every address it resolves to is checked; one bad address refuses the host
(a name that resolves to both a public and a private address is a classic rebinding trick).

The caller then connects to an address checked here, never to the name again: `fetch` pins the
connection to these addresses, so a DNS answer that changes between the check and the connect
(DNS rebinding) cannot slip a private address in.

Refused: unspecified, loopback, private, link-local, multicast, reserved and every other
non-globally-routable range (carrier-grade NAT 100.64/10, documentation ranges...), and IPv6
addresses that embed one of those (IPv4-mapped `::ffff:a.b.c.d`, 6to4, Teredo, NAT64
`64:ff9b::/96`). `allow_private=True` (configuration: `[intake] allow_private_addresses`)
lifts the guard, for a staging setup or tests against 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket

from ..errors import IntakeError

__all__ = [
    "AddressRefusedError",
    "IPAddress",
    "ResolutionError",
    "check_host",
    "refusal_reason",
    "resolve",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressRefusedError(IntakeError):
    """The host resolves to an address intake must not connect to; the message says which."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host = host
        self.address = address
        self.reason = reason
        where = host if host == address else f"{host} ({address})"
        super().__init__(
            f"refused to connect to {where}: {reason} address; the daemon does not reach into "
            "the local network (set [intake] allow_private_addresses = true to allow it)"
        )


class ResolutionError(IntakeError):
    """The host name does not resolve."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address, the one a packet would reach
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal_reason(ip: IPAddress) -> str | None:
    """Why `ip` is refused ("loopback", "private", ...), or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = refusal_reason(embedded)
            return f"{inner} (embedded in IPv6)" if inner else None
    # Order matters only for the message: the most specific name first.
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to for a TCP connection on `port`, in resolver order."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionError(f"cannot resolve host {host!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the zone is not part of the address.
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise ResolutionError(f"cannot resolve host {host!r}: no address")
    return addresses


def check_host(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Resolve `host` and return its addresses; raise AddressRefusedError if any is refused."""
    addresses = resolve(host, port)
    if not allow_private:
        for ip in addresses:
            reason = refusal_reason(ip)
            if reason is not None:
                raise AddressRefusedError(host.strip("[]"), str(ip), reason)
    return addresses
