"""Where a webhook may go: a registered URL parsed in full, the addresses its host may resolve to
(SSRF), and a connection to the very address that passed that check.

A URL is parsed once by one parser, at registration and again at every delivery: https (plain
http only to a loopback host, and only with the tests' `allow_loopback` setting), a host that is
an IDNA-encoded name, a dotted-quad IPv4 or a bracketed IPv6 address, a port from 1 to 65535, no
credentials, no fragment, no whitespace or control characters, at most 500 characters. The
normalized URL is what gets stored.

An address passes only if it is globally routable; an IPv4 address carried inside an IPv6 one
(IPv4-mapped, IPv4-compatible, IPv4-translated, NAT64 `64:ff9b::/96`, 6to4, Teredo) must pass too.
NAT64 under a network-specific prefix cannot be recognised from the address alone.

How a delivery fails tells its caller what to do with the row:
- `PermanentDeliveryError` (`UnusableUrl`: the stored URL does not parse; `BlockedAddress`: the
  host is, or resolves to, an address that is not public). This row cannot be sent as it stands:
  fail it with the reason. It is not an outage.
- `OSError` (`HostUnresolved`, connection refused, a timeout, a TLS failure) or
  `http.client.HTTPException` (no proper answer): nothing was answered this time; try again later.
At registration both become an `Invalid` with a field error on `url` (`check_url`).
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

import idna

from marketplace.errors import Invalid

MAX_LENGTH = 500
DEFAULT_PORTS = {"https": 443, "http": 80}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# socket.getaddrinfo's shape: (host, port, ...) -> [(family, type, proto, canonname, sockaddr)]
Resolver = Callable[..., Sequence[tuple[Any, Any, Any, Any, tuple[Any, ...]]]]


class PermanentDeliveryError(Exception):
    """This delivery can never be sent as its endpoint stands: fail the row with this reason (not an
    outage, and no use retrying)."""


class UnusableUrl(PermanentDeliveryError):
    """The URL is not one webhooks may be sent to (the message says why, for its owner)."""


class BlockedAddress(PermanentDeliveryError):
    """The endpoint's host is not a public address: nothing is sent there."""


class HostUnresolved(OSError):
    """The host name did not resolve now: perhaps a passing DNS failure, so a temporary one."""


@dataclass(frozen=True)
class WebhookUrl:
    scheme: str  # https, or http to loopback in tests
    host: str  # an IDNA-encoded name, or an IP address (IPv6 without its brackets)
    port: int
    target: str  # the path and query, percent-encoded ASCII: what the request line carries
    literal: IPAddress | None  # the host, when it is an IP address

    @property
    def default_port(self) -> int:
        return DEFAULT_PORTS[self.scheme]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if self.literal is not None and self.literal.version == 6 else self.host
        port = "" if self.port == self.default_port else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.target}"


_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}  # controls, invisibles, whitespace
_PORT = re.compile(r"[0-9]{1,5}")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
# RFC 3986's reserved and unreserved characters and `%` stay; anything else (non-ASCII too) is encoded.
_SAFE_IN_TARGET = "/:@!$&'()*+,;=-._~%?"
_EXAMPLE = "https://hooks.example.com/floorboard"


def parse_url(url: object, allow_loopback: bool) -> WebhookUrl:
    """The URL in parts, normalized; `UnusableUrl` (or `BlockedAddress` for plain http to loopback
    without the tests' allowance) saying why not. Looks nothing up."""
    if not isinstance(url, str):
        raise UnusableUrl(f"A URL, as text, like {_EXAMPLE}.")
    text = url.strip()
    if not text:
        raise UnusableUrl(f"A URL, like {_EXAMPLE}.")
    if len(text) > MAX_LENGTH:
        raise UnusableUrl(f"At most {MAX_LENGTH} characters.")
    if any(unicodedata.category(c) in _UNPRINTABLE for c in text):
        raise UnusableUrl("No spaces, line breaks or other invisible characters (encode a space in a path as %20).")
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in DEFAULT_PORTS:
        raise UnusableUrl(f"An https:// URL, like {_EXAMPLE}.")
    if not rest.startswith("//"):
        raise UnusableUrl(f"An https:// URL with a host, like {_EXAMPLE}.")
    rest = rest[2:]
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority, remainder = rest[:end], rest[end:]
    if "#" in remainder:
        raise UnusableUrl("No #fragment: a fragment never reaches the server.")
    host, literal, port = _authority(authority, scheme)
    loopback_host = host == "localhost" or (literal is not None and _plain_loopback(literal))
    if scheme == "http":
        if not loopback_host:
            raise UnusableUrl(f"An https:// URL, like {_EXAMPLE}.")
        if not allow_loopback:
            raise BlockedAddress(f"{host} is not a public address.")
    path, question, query = remainder.partition("?")
    if _BAD_ESCAPE.search(remainder):
        raise UnusableUrl("A % in the path or query starts an escape such as %20.")
    target = quote(path or "/", safe=_SAFE_IN_TARGET)
    if question and query:
        target += "?" + quote(query, safe=_SAFE_IN_TARGET)
    parsed = WebhookUrl(scheme, host, port, target, literal)
    if len(parsed.url) > MAX_LENGTH:
        raise UnusableUrl(f"At most {MAX_LENGTH} characters once the host and path are encoded.")
    return parsed


def _authority(authority: str, scheme: str) -> tuple[str, IPAddress | None, int]:
    """The host (encoded), its address when it is one, and the port."""
    if "@" in authority:
        raise UnusableUrl("No user name or password in the URL: the signature tells you who sent it.")
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise UnusableUrl("Close the bracket around the IPv6 address, like https://[2001:db8::1]/hooks.")
        inner, after = authority[1:close], authority[close + 1 :]
        if after and not after.startswith(":"):
            raise UnusableUrl("Only a :port may follow the bracketed IPv6 address.")
        port_text = after[1:] if after else None
        if "%" in inner:
            raise UnusableUrl("No zone id in the IPv6 address: a zone only names a link of this machine.")
        try:
            v6 = ipaddress.IPv6Address(inner)
        except ValueError:
            raise UnusableUrl("Between brackets goes an IPv6 address, like https://[2001:db8::1]/hooks.") from None
        return str(v6), v6, _port(port_text, scheme)
    if "[" in authority or "]" in authority:
        raise UnusableUrl("Brackets go only around an IPv6 address, like https://[2001:db8::1]/hooks.")
    if authority.count(":") > 1:
        raise UnusableUrl("Put an IPv6 address in brackets, like https://[2001:db8::1]/hooks.")
    name, colon, port_text = authority.partition(":")
    port = _port(port_text if colon else None, scheme)
    if name.endswith("."):  # the root's dot: the same name, and certificates are issued without it
        name = name[:-1]
    if not name:
        raise UnusableUrl(f"A host, like {_EXAMPLE}.")
    try:
        host = idna.encode(name, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise UnusableUrl(f"The host is not a valid domain name ({_reason(exc)}).") from None
    if not _NAME.fullmatch(host):
        raise UnusableUrl("The host is not a valid domain name.")
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        # Resolvers read 127.1, 0x7f.0.0.1 and 2130706433 as addresses: only the one plain form is taken.
        try:
            v4 = ipaddress.IPv4Address(host)
        except ValueError:
            raise UnusableUrl("Write an IPv4 address as four numbers from 0 to 255, like 203.0.113.7.") from None
        return str(v4), v4, port
    return host, None, port


def _port(text: str | None, scheme: str) -> int:
    if not text:  # none, or an empty one (RFC 3986: the scheme's own)
        return DEFAULT_PORTS[scheme]
    if not _PORT.fullmatch(text) or not 1 <= int(text) <= 65535:
        raise UnusableUrl("The port is a number from 1 to 65535.")
    return int(text)


def _reason(exc: Exception) -> str:
    """idna's message, short and printable (it may quote the input)."""
    return str(exc)[:120].encode("ascii", "backslashreplace").decode("ascii")


# IPv6 ranges that carry an IPv4 address in their last 32 bits.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated (RFC 4291): never routed
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT (RFC 2765)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052)
_NEVER_ROUTED = ("IPv4-compatible", "IPv4-translated")
# Not globally reachable per IANA, though this Python's `is_global` may not know them yet.
_NOT_GLOBAL_V6 = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.IPv6Network("3fff::/20"),  # documentation (RFC 9637)
    ipaddress.IPv6Network("5f00::/16"),  # SRv6 SIDs (RFC 9602)
    ipaddress.IPv6Network("fec0::/10"),  # site-local (deprecated)
)


def carried_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of its form."""
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    carried: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        carried.append(("IPv4-mapped", address.ipv4_mapped))
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        carried.append(("IPv4-compatible", low))
    if address in _IPV4_TRANSLATED:
        carried.append(("IPv4-translated", low))
    if address in _NAT64:
        carried.append(("NAT64", low))
    if address.sixtofour is not None:
        carried.append(("6to4", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        carried += [("Teredo server", server), ("Teredo client", client)]
    return carried


def _plain_loopback(address: IPAddress) -> bool:
    return (address.version == 4 and address.is_loopback) or address == ipaddress.IPv6Address("::1")


def refusal(address: IPAddress, allow_loopback: bool) -> str | None:
    """Why webhooks may not go to this address, or None if they may."""
    if allow_loopback and _plain_loopback(address):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        for form, v4 in carried_ipv4(address):
            if form in _NEVER_ROUTED:
                return f"an {form} address of {v4}, a form that is never routed"
            why = refusal(v4, allow_loopback=False)
            if why is not None:
                return f"it carries {v4} ({form}): {why}"
        if address.ipv4_mapped is not None or address in _NAT64:
            return None  # the public IPv4 address it carries decides: `is_reserved` counts all of ::/8
        if address.is_site_local or any(address in network for network in _NOT_GLOBAL_V6):
            return "not globally routable"
    for why, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    ):
        if flag:
            return why
    return None


def checked_addresses(target: WebhookUrl, allow_loopback: bool, resolve: Resolver | None = None) -> list[IPAddress]:
    """The addresses to connect to for `target`, every one of them checked: its host resolved once
    (by `resolve`, socket.getaddrinfo by default), unless it is an address itself."""
    if target.literal is not None:
        addresses = [target.literal]
        for address in addresses:
            why = refusal(address, allow_loopback)
            if why is not None:
                raise BlockedAddress(f"{address} is not a public address ({why}).")
    else:
        addresses = public_addresses_only(target.host, allow_loopback, resolve)
    if target.scheme == "http" and not all(_plain_loopback(a) for a in addresses):
        raise BlockedAddress(f"Plain http goes only to loopback; {target.host} is not a loopback address.")
    return addresses


def public_addresses_only(host: str, allow_loopback: bool, resolve: Resolver | None = None) -> list[IPAddress]:
    """The addresses `host` resolves to now, if every one is public; `BlockedAddress` if any is not
    (private, loopback, link-local, multicast, reserved, unspecified, or carrying such an IPv4
    address). `allow_loopback` lets 127.0.0.0/8 and ::1 through (tests). `HostUnresolved` if the
    name does not resolve."""
    resolve = resolve or socket.getaddrinfo
    try:
        infos = resolve(host, None, proto=socket.IPPROTO_TCP)
    except UnicodeError as exc:
        raise BlockedAddress(f"{host} is not a host name ({_reason(exc)}).") from None
    except OSError as exc:
        raise HostUnresolved(f"{host} does not resolve ({exc.strerror or exc}).") from None
    addresses: list[IPAddress] = []
    for info in infos:
        try:
            address = ipaddress.ip_address(info[4][0])
        except ValueError:
            raise BlockedAddress(f"{host} resolves to something that is not an IP address.") from None
        why = refusal(address, allow_loopback)
        if why is not None:
            raise BlockedAddress(f"{host} resolves to {address}, which is not a public address ({why}).")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise HostUnresolved(f"{host} resolves to no address.")
    return addresses


def check_url(url: str, allow_loopback: bool, resolve: bool = True, resolver: Resolver | None = None) -> str:
    """The normalized URL, if it may receive webhooks; an `Invalid` with a field error on `url`
    saying why not. `resolve` looks the host up (a network call: do it before opening a unit of
    work); an address written in the URL is checked either way."""
    try:
        target = parse_url(url, allow_loopback)
        if resolve or target.literal is not None:
            checked_addresses(target, allow_loopback, resolver)
    except (PermanentDeliveryError, HostUnresolved) as exc:
        raise Invalid("Check the URL.", {"url": [str(exc)]}) from None
    return target.url


@cache
def default_tls() -> ssl.SSLContext:
    """The system's trusted certificates, the host name checked (made once: loading them is slow)."""
    return ssl.create_default_context()


class PinnedConnection(http.client.HTTPConnection):
    """An HTTP or HTTPS connection to addresses already checked: connecting never resolves the host
    name again (a second answer could be a private address: DNS rebinding). With `tls`, the
    certificate is still verified against the host name, which is sent as SNI; the Host header
    carries the name too."""

    def __init__(
        self, target: WebhookUrl, addresses: list[IPAddress], timeout_s: float, tls: ssl.SSLContext | None
    ) -> None:
        super().__init__(target.host, target.port, timeout=timeout_s)
        self.default_port = target.default_port  # the Host header leaves out the scheme's own port
        self.addresses = addresses
        self.tls = tls

    def connect(self) -> None:
        sock = self._open()
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def _open(self) -> socket.socket:
        """A TCP connection to the first checked address that answers."""
        error: OSError = OSError(f"{self.host} has no address to connect to")
        for address in self.addresses:
            sock = socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.connect((str(address), self.port))
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error
