"""Webhook signing: each endpoint's ``whsec_`` secret and Stripe's ``Stripe-Signature`` header.

Stripe signs a delivery by computing ``HMAC-SHA256(secret, f"{t}.{body}")`` over the exact
bytes it sends, and sends ``Stripe-Signature: t=<unix time>,v1=<hex digest>`` (one ``v1`` per
valid secret while a rolled secret's grace period lasts); receivers
check it with ``stripe.Webhook.construct_event(body, header, secret)``, which also refuses a
``t`` more than five minutes old. Also which URLs a delivery can be sent to. Framework-free:
the delivery code, the input schemas and the tests use it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit, urlunsplit

from .keys import BASE62

SECRET_PREFIX = "whsec_"
SECRET_LENGTH = 32
SECRET_PATTERN = re.compile(r"whsec_[0-9A-Za-z]{32}(?![0-9A-Za-z])")


def secret_in(text: str) -> bool:
    """Whether ``text`` holds something shaped like a signing secret (they have no checksum:
    any ``whsec_`` and 32 base62 characters may be one)."""
    return "whsec_" in text and SECRET_PATTERN.search(text) is not None


def endpoint_secret(pepper: str, endpoint_id: str, generation: int = 0) -> str:
    """The signing secret of endpoint ``endpoint_id``: ``whsec_`` + 32 base62 characters.

    Derived from the server's pepper, the endpoint's id and how many times its secret was
    rolled (``generation``), so it is never stored (nothing in the database can sign a
    delivery) and the same on every worker. Only the response that creates the endpoint
    (or rolls its secret) shows it, as Stripe does.
    """
    label = f"webhook_endpoint:{endpoint_id}" + (f":{generation}" if generation else "")
    raw = hmac.new(pepper.encode(), label.encode(), hashlib.sha256).digest()
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(SECRET_LENGTH):
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return SECRET_PREFIX + "".join(chars)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex ``v1`` signature of ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The ``Stripe-Signature`` header value: ``t=<timestamp>,v1=<signature>``, with one
    ``v1`` per secret. While a rolled secret's grace period lasts, Stripe signs with the new
    secret and the old one; a receiver configured with either verifies the delivery."""
    return ",".join([f"t={timestamp}"] + [f"v1={signature(secret, timestamp, body)}"
                                          for secret in secrets])


_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def ascii_host(hostname: str) -> str:
    """The host as the network knows it: an IP address as is, a name in another script in
    its IDNA form under UTS #46, as browsers (and Stripe) encode it (Python's own codec
    would send ``faß.de`` to ``fass.de``, another domain). :raises ValueError: not a name."""
    import ipaddress

    import idna

    try:
        ipaddress.ip_address(hostname)
        return hostname
    except ValueError:
        pass
    return idna.encode(hostname, uts46=True).decode("ascii")  # IDNAError is a ValueError


def sendable_url(url: str) -> SplitResult:
    """``url``'s parts if a delivery can be sent there: http(s), a host that is a valid name
    or an address, a port from 1 to 65535 if any, no spaces or control characters, only
    ASCII after the host (percent-encoded, as browsers send it).

    :raises ValueError: anything else.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an absolute http(s) URL")
    if parts.port == 0:  # (.port itself raises ValueError on one that is not a number)
        raise ValueError("port 0")
    ascii_host(parts.hostname)
    (parts.path + parts.query).encode("ascii")  # UnicodeError is a ValueError
    if _CONTROL_OR_SPACE.search(url):
        raise ValueError("a space or a control character")
    return parts


def without_credentials(url: str) -> str:
    """``url`` without a ``user:password@`` part, to show or record it."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class AllowedHosts:
    """``WEBHOOK_ALLOWED_HOSTS``: where a shared server may send deliveries.

    Entries are names (``hooks.example.com``; ``*.example.com`` for any name under it) and
    addresses or CIDR ranges (``10.0.0.0/8``, ``::1``). A URL whose host is a listed name is
    sent as the DNS resolves it; any other host only to the addresses it resolves to that lie
    in a listed range, checked when connecting (a name cannot move to another address between
    the check and the connection). An entry starting with ``!`` takes a name, an address or a
    range back out of the others (``10.0.0.0/8,!10.0.0.5``: the room's network, but not the
    server itself), whatever the order: a listed name that resolves there is not sent to
    either (``*.nip.io`` names any address).

    :raises ValueError: naming an entry that is neither a name nor an address or range.
    """

    def __init__(self, setting: str) -> None:
        import ipaddress

        self.names: set[str] = set()
        self.suffixes: list[str] = []
        self.networks: list = []
        self.excluded_names: set[str] = set()
        self.excluded_networks: list = []
        for entry in (part.strip().lower() for part in setting.split(",")):
            excluded = entry.startswith("!")
            entry = entry[1:].strip() if excluded else entry
            if not entry:
                continue
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                pass
            else:
                (self.excluded_networks if excluded else self.networks).append(network)
                continue
            name = entry[2:] if entry.startswith("*.") else entry
            try:
                name = ascii_host(name)
            except ValueError:
                name = ""
            # A last label of digits is an address mistyped (10.1, 192.168.1.256), not a name.
            if (not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", name)
                    or name.rsplit(".", 1)[-1].isdigit()):
                raise ValueError(f"PAYGROUND_WEBHOOK_ALLOWED_HOSTS: cannot read {entry!r} (use "
                                 "names, *.domains, addresses or CIDR ranges, e.g. "
                                 "hooks.example.com,*.ngrok.app,10.0.0.0/8)")
            if excluded:
                if entry.startswith("*."):
                    raise ValueError(f"PAYGROUND_WEBHOOK_ALLOWED_HOSTS: !{entry} - take names "
                                     "out one by one (!admin.example.com), not by pattern")
                self.excluded_names.add(name)
            elif entry.startswith("*."):
                self.suffixes.append("." + name)
            else:
                self.names.add(name)

    def __bool__(self) -> bool:
        return bool(self.names or self.suffixes or self.networks or self.excluded_names
                    or self.excluded_networks)

    def excludes_name(self, host: str) -> bool:
        """Whether ``host`` is a name taken out with ``!name``."""
        return host.lower().rstrip(".") in self.excluded_names

    def names_host(self, host: str) -> bool:
        """Whether ``host`` (IDNA form) is one of the listed names (an address never is)."""
        host = host.lower().rstrip(".")
        if as_address(host) is not None or host in self.excluded_names:
            return False
        return host in self.names or any(host.endswith(s) for s in self.suffixes)

    def holds_address(self, address: str, *, named: bool = False) -> bool:
        """Whether the address ``address`` lies in one of the listed ranges; ``named``: it is
        what a listed name resolved to, which may be anywhere but where ``!`` takes out."""
        import ipaddress

        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        # ::ffff:127.0.0.1 is 127.0.0.1 on the wire, and a NAT64 gateway takes 64:ff9b::7f00:1
        # there too: each is judged as the IPv4 address it stands for, whatever IPv6 is listed.
        ip = getattr(ip, "ipv4_mapped", None) or ip
        if ip.version == 6 and ip in ipaddress.ip_network("64:ff9b::/96"):  # RFC 6052
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)

        def within(networks) -> bool:
            return any(ip.version == net.version and ip in net for net in networks)

        return (named or within(self.networks)) and not within(self.excluded_networks)

    def may_register(self, host: str) -> bool:
        """Whether a URL with ``host`` can be accepted now: a listed name, an address in a
        listed range, or any other name when ranges are listed (checked again at each
        connection, against what it resolves to)."""
        host = ascii_host(host)  # listed and sent in IDNA form: judged in it too
        address = as_address(host)
        if address is None:
            if self.excludes_name(host):
                return False
            return self.names_host(host) or bool(self.networks)
        return self.holds_address(address)


def as_address(host: str) -> str | None:
    """``host`` as an IP address if the network would read it as one, else ``None``:
    ``127.0.0.1``, ``::1``, and the old IPv4 spellings resolvers accept (``127.1``,
    ``0x7f.1``, ``2130706433``, ``017700000001``) as ``127.0.0.1``."""
    import ipaddress
    import socket

    host = host.rstrip(".")
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host) and host[0].isdigit():
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None
