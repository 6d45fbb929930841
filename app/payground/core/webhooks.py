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
    addresses or CIDR ranges (``10.0.0.0/8``, ``::1``), each on any port or, with
    ``:port``, on that one only (``host.docker.internal:5000``, ``10.0.0.0/8:8080``,
    ``[::1]:5000``: an IPv6 address or range takes a port in brackets, as in a URL). A URL
    whose host is a listed name (for its port) is sent as the DNS resolves it; any other
    host only to the addresses it resolves to that lie in a range listed for its port,
    checked when connecting (a name cannot move to another address between the check and
    the connection). An entry starting with ``!`` takes a name, an address or a
    range back out of the others (``10.0.0.0/8,!10.0.0.5``: the room's network, but not the
    server itself; ``!10.0.0.5:5432``: only that port of it), whatever the order: a listed
    name that resolves there is not sent to either (``*.nip.io`` names any address).

    Each method takes the port the URL connects to (80 or 443 if it names none); ``None``
    (not known) meets only the entries without a port, and every ``!`` entry.

    :raises ValueError: naming an entry that is neither a name nor an address or range.
    """

    def __init__(self, setting: str) -> None:
        import ipaddress

        # Each name, suffix and network with the port it is for (None: any port).
        self.names: set[tuple[str, int | None]] = set()
        self.suffixes: list[tuple[str, int | None]] = []
        self.networks: list = []
        self.excluded_names: set[tuple[str, int | None]] = set()
        self.excluded_networks: list = []
        for entry in (part.strip().lower() for part in setting.split(",")):
            excluded = entry.startswith("!")
            entry = entry[1:].strip() if excluded else entry
            if not entry:
                continue
            try:
                host, port = _host_and_port(entry)
            except ValueError:
                raise ValueError(_unreadable(entry)) from None
            try:
                network = ipaddress.ip_network(host, strict=False)
            except ValueError:
                pass
            else:
                (self.excluded_networks if excluded else self.networks).append((network, port))
                continue
            name = host[2:] if host.startswith("*.") else host
            try:
                name = ascii_host(name)
            except ValueError:
                name = ""
            # A last label of digits is an address mistyped (10.1, 192.168.1.256), not a name.
            if (not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", name)
                    or name.rsplit(".", 1)[-1].isdigit()):
                raise ValueError(_unreadable(entry))
            if excluded:
                if host.startswith("*."):
                    raise ValueError(f"PAYGROUND_WEBHOOK_ALLOWED_HOSTS: !{entry} - take names "
                                     "out one by one (!admin.example.com), not by pattern")
                self.excluded_names.add((name, port))
            elif host.startswith("*."):
                self.suffixes.append(("." + name, port))
            else:
                self.names.add((name, port))
        self.lists_ports = any(port is not None for _, port in (
            *self.names, *self.suffixes, *self.networks, *self.excluded_names,
            *self.excluded_networks))

    def __bool__(self) -> bool:
        return bool(self.names or self.suffixes or self.networks or self.excluded_names
                    or self.excluded_networks)

    def excludes_name(self, host: str, port: int | None = None) -> bool:
        """Whether ``host`` is a name taken out with ``!name`` (on ``port``)."""
        host = host.lower().rstrip(".")
        return any(name == host and _takes_out(out, port) for name, out in self.excluded_names)

    def names_host(self, host: str, port: int | None = None) -> bool:
        """Whether ``host`` (IDNA form) is one of the listed names for ``port`` (an address
        never is)."""
        host = host.lower().rstrip(".")
        if as_address(host) is not None or self.excludes_name(host, port):
            return False
        return (any(host == name and _on(on, port) for name, on in self.names)
                or any(host.endswith(suffix) and _on(on, port) for suffix, on in self.suffixes))

    def holds_address(self, address: str, port: int | None = None, *,
                      named: bool = False) -> bool:
        """Whether the address ``address`` lies in one of the ranges listed for ``port``;
        ``named``: it is what a listed name resolved to, which may be anywhere but where
        ``!`` takes out."""
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
        # Connecting to 0.0.0.0 or :: reaches this machine (its loopback): judged as that.
        if ip.is_unspecified:
            ip = ipaddress.ip_address("127.0.0.1" if ip.version == 4 else "::1")

        def within(networks, fits) -> bool:
            return any(ip.version == net.version and ip in net and fits(for_port, port)
                       for net, for_port in networks)

        return ((named or within(self.networks, _on))
                and not within(self.excluded_networks, _takes_out))

    def may_register(self, host: str, port: int | None = None) -> bool:
        """Whether a URL with ``host`` and ``port`` can be accepted now: a listed name, an
        address in a listed range, or any other name when ranges are listed for the port
        (checked again at each connection, against what it resolves to)."""
        host = ascii_host(host)  # listed and sent in IDNA form: judged in it too
        address = as_address(host)
        if address is None:
            if self.excludes_name(host, port):
                return False
            return self.names_host(host, port) or any(_on(on, port) for _, on in self.networks)
        return self.holds_address(address, port)

    def shown(self, host: str, port: int) -> str:
        """``host`` as a refusal names it: with its port if the setting lists ports."""
        if not self.lists_ports:
            return host
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _on(entry_port: int | None, port: int | None) -> bool:
    """Whether an entry for ``entry_port`` (None: any) allows ``port`` (None: not known)."""
    return entry_port is None or entry_port == port


def _takes_out(entry_port: int | None, port: int | None) -> bool:
    """Whether a ``!`` entry for ``entry_port`` takes ``port`` out (a port not known: yes)."""
    return entry_port is None or port is None or entry_port == port


def _host_and_port(entry: str) -> tuple[str, int | None]:
    """An entry's host and port: ``name:5000``, ``10.0.0.0/8:5000``, ``[::1]:5000``; an
    IPv6 address or range without brackets (``::1``, ``fd00::/8``) has none.

    :raises ValueError: a port that is not a number from 1 to 65535, or stray brackets.
    """
    if entry.startswith("["):
        host, bracket, port = entry[1:].partition("]")
        if not bracket or ":" not in host or (port and not port.startswith(":")):
            raise ValueError(entry)
        if not port:
            return host, None
        port = port[1:]
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        return entry, None
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(entry)
    return host, int(port)


def _unreadable(entry: str) -> str:
    return (f"PAYGROUND_WEBHOOK_ALLOWED_HOSTS: cannot read {entry!r} (use names, *.domains, "
            "addresses or CIDR ranges, each with :port to allow that port only, e.g. "
            "hooks.example.com,*.ngrok.app,10.0.0.0/8,host.docker.internal:5000)")


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
