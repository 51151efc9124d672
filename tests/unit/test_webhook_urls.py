"""Webhook URLs parsed in full and their addresses checked (SSRF), with no network: every odd URL
and every non-public address, plain or carried inside an IPv6 one, gets a clean `Invalid` with a
field error on `url`, never another exception; and a delivery classifies what it cannot send."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.errors import Invalid
from marketplace.notifications.webhook_sender import post
from marketplace.notifications.webhook_urls import (
    BlockedAddress,
    HostUnresolved,
    PermanentDeliveryError,
    UnusableUrl,
    check_url,
    public_addresses_only,
    refusal,
)


def answers(*addresses: str):
    """A stub resolver that answers these addresses for any name."""

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses]

    return resolve


def nxdomain(host, port, *args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def refused(url: str, allow_loopback: bool = False, resolver=None) -> str:
    """The field error check_url gives (it must give one)."""
    with pytest.raises(Invalid) as caught:
        check_url(url, allow_loopback, resolver=resolver or answers("93.184.215.14"))
    assert list(caught.value.errors) == ["url"] and caught.value.errors["url"][0]
    return caught.value.errors["url"][0]


ODD_URLS = [
    "https://1.1.1.1:99999/hook",
    "https://1.1.1.1:port/hook",
    "https://1.1.1.1:0/hook",
    "https://1.1.1.1:-1/hook",
    "https://1.1.1.1:65536/hook",
    "https://1.1.1.1:4_43/hook",
    "https://1.1.1.1:\u0664\u0664\u0663/hook",  # Arabic-Indic digits are digits to str.isdigit, not to a URL
    "https://1.1.1.1:443:443/hook",
    "https://[::1/hook",
    "https://::1]/hook",
    "https://[2606:4700::1111/hook",
    "https://2606:4700::1111/hook",
    "https://[2606:4700::1111]x/hook",
    "https://[2606:4700::1111]:99999/hook",
    "https://[1.1.1.1]/hook",
    "https://[v1.fe]/hook",
    "https://[fe80::1%25eth0]/hook",
    "https://[]/hook",
    "https://exa[mple.com/hook",
    "https://user:secret@example.com/hook",
    "https://user@example.com/hook",
    "https://example.com\\@evil.example/hook",
    "https://example.com/hook#fragment",
    "https://example.com/hook#",
    "https://example.com/a b",
    "https://example.com/hook\nX-Injected: 1",
    "https://example.com/hook\r\n\r\nGET / HTTP/1.1",
    "https://exa\tmple.com/hook",
    "https://example.com/\x00",
    "https://example.com/\u200bhook",
    "https://example.com/%zz",
    "https://example.com/%4",
    "https://exa_mple.com/hook",
    "https://-example.com/hook",
    "https://example..com/hook",
    "https://xn--zz.example/hook",
    "https://\u2603.example/hook",
    "https://a\uff20b.example/hook",  # a fullwidth @: no credentials by another name
    "https://a" + "b" * 63 + ".example/hook",
    "https://" + "a." * 130 + "example/hook",
    "https://example.com/" + "x" * 500,
    "https:example.com/hook",
    "https:///hook",
    "https://:443/hook",
    "https://./hook",
    "ftp://example.com/hook",
    "javascript:alert(1)",
    "http://example.com/hook",
    "//example.com/hook",
    "example.com/hook",
    "",
    "   ",
    "https://127.1/hook",
    "https://0x7f.0.0.1/hook",
    "https://2130706433/hook",
    "https://017700000001/hook",
    "https://1.2.3.04/hook",
    "https://256.1.1.1/hook",
]


@pytest.mark.parametrize("url", ODD_URLS)
def test_an_odd_url_gets_a_field_error_never_an_exception(url):
    refused(url)
    with pytest.raises(PermanentDeliveryError):  # the same URL, met at delivery: a permanent failure
        post(url, b"{}", {}, 1.0, allow_loopback=False, resolve=answers("93.184.215.14"))


def test_the_reported_urls_say_what_is_wrong():
    assert "port" in refused("https://1.1.1.1:99999/hook")
    assert "port" in refused("https://1.1.1.1:port/hook")
    assert "bracket" in refused("https://[::1/hook")
    assert "127.0.0.1 (NAT64)" in refused("https://[64:ff9b::7f00:1]")
    assert "127.0.0.1 (NAT64)" in refused("https://[64:ff9b::7f00:1]", allow_loopback=True)


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://example.com/hooks", "https://example.com/hooks"),
        ("  HTTPS://Example.COM:443/hooks?a=1&b=%20  ", "https://example.com/hooks?a=1&b=%20"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/hooks\r\n", "https://example.com/hooks"),  # a paste's line break, around it only
        ("https://example.com:/x", "https://example.com/x"),
        ("https://example.com./x", "https://example.com/x"),
        ("https://example.com:8443/x?", "https://example.com:8443/x"),
        ("https://B\u00fccher.example/h\u00e4?q=\u00fc", "https://xn--bcher-kva.example/h%C3%A4?q=%C3%BC"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://\uff45xample\uff0ecom/", "https://example.com/"),  # fullwidth letters and dot, mapped by UTS 46
        ("https://example.com/a{b}|c", "https://example.com/a%7Bb%7D%7Cc"),
        ("https://93.184.215.14:00443/", "https://93.184.215.14/"),
        ("https://[2606:4700:0::1111]:8443/h", "https://[2606:4700::1111]:8443/h"),
        ("https://[::ffff:8.8.8.8]/h", "https://[::ffff:808:808]/h"),
        ("https://[64:ff9b::8.8.8.8]/h", "https://[64:ff9b::808:808]/h"),
    ],
)
def test_a_good_url_comes_back_normalized(url, normalized):
    assert check_url(url, False, resolver=answers("93.184.215.14")) == normalized
    assert check_url(normalized, False, resolver=answers("93.184.215.14")) == normalized


def test_plain_http_only_to_loopback_and_only_with_the_tests_allowance():
    assert check_url("http://127.0.0.1:8080/h", True) == "http://127.0.0.1:8080/h"
    assert check_url("http://[::1]:8080/h", True) == "http://[::1]:8080/h"
    assert check_url("http://localhost:8080/h", True, resolver=answers("127.0.0.1")) == "http://localhost:8080/h"
    assert "not a public address" in refused("http://127.0.0.1:8080/h")
    assert "https://" in refused("http://example.com/h", allow_loopback=True)
    assert "loopback" in refused("http://localhost:8080/h", True, resolver=answers("127.0.0.1", "93.184.215.14"))


def carriers(v4: str) -> dict[str, str]:
    """Every IPv6 form that carries the IPv4 address `v4`."""
    n = int(ipaddress.IPv4Address(v4))
    hi, lo = f"{n >> 16:x}", f"{n & 0xFFFF:x}"
    teredo_client = n ^ 0xFFFFFFFF  # Teredo stores the client's address inverted
    return {
        "IPv4-mapped": f"::ffff:{v4}",
        "IPv4-compatible": f"::{v4}",
        "IPv4-translated": f"::ffff:0:{v4}",
        "NAT64": f"64:ff9b::{v4}",
        "NAT64 local-use": f"64:ff9b:1::{v4}",
        "6to4": f"2002:{hi}:{lo}::1",
        "Teredo server": f"2001:0:{hi}:{lo}::1",
        "Teredo client": f"2001:0:4136:e378:8000:63bf:{teredo_client >> 16:x}:{teredo_client & 0xFFFF:x}",
    }


@pytest.mark.parametrize("v4", ["127.0.0.1", "10.0.0.1", "169.254.169.254"])
@pytest.mark.parametrize("form", list(carriers("127.0.0.1")))
@pytest.mark.parametrize("allow_loopback", [False, True])
def test_an_ipv4_address_carried_in_ipv6_is_refused_written_or_resolved(v4, form, allow_loopback):
    v6 = carriers(v4)[form]
    assert ipaddress.IPv6Address(v6)  # a well-formed address, so the refusal is the check's
    refused(f"https://[{v6}]/hooks", allow_loopback)
    refused("https://hooks.example.com/", allow_loopback, resolver=answers("93.184.215.14", v6))
    with pytest.raises(BlockedAddress):
        post(f"https://[{v6}]/hooks", b"{}", {}, 1.0, allow_loopback)
    with pytest.raises(BlockedAddress):
        post("https://hooks.example.com/", b"{}", {}, 1.0, allow_loopback, resolve=answers(v6))


def test_a_public_ipv4_address_carried_as_mapped_nat64_or_6to4_passes():
    for form in ("IPv4-mapped", "NAT64", "6to4"):
        assert refusal(ipaddress.IPv6Address(carriers("8.8.8.8")[form]), False) is None, form
    for form in ("IPv4-compatible", "IPv4-translated", "NAT64 local-use", "Teredo client"):
        assert refusal(ipaddress.IPv6Address(carriers("8.8.8.8")[form]), False) is not None, form


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "3fff::1",
        "100::1",
    ],
)
def test_a_host_resolving_to_any_non_public_address_is_refused(address):
    assert "not a public address" in refused("https://hooks.example.com/", resolver=answers("93.184.215.14", address))


def test_a_host_that_does_not_resolve_is_refused_at_registration_and_is_a_temporary_failure_at_delivery():
    assert "does not resolve" in refused("https://hooks.example.com/", resolver=nxdomain)
    with pytest.raises(HostUnresolved) as caught:
        public_addresses_only("hooks.example.com", False, nxdomain)
    assert isinstance(caught.value, OSError) and not isinstance(caught.value, PermanentDeliveryError)
    with pytest.raises(OSError):
        post("https://hooks.example.com/", b"{}", {}, 1.0, False, resolve=nxdomain)


def test_an_unparseable_stored_url_is_a_permanent_failure_not_a_value_error():
    with pytest.raises(UnusableUrl, match="port"):  # was: ValueError: Port out of range, logged as an outage
        post("https://1.1.1.1:99999/hook", b"{}", {}, 1.0, False)


# Pieces odd URLs are made of: hypothesis puts them together and adds any text.
_SCHEMES = st.sampled_from(["https", "HTTPS", "http", "ftp", "", "https:", "h\u0074tps"])
_HOSTS = st.one_of(
    st.sampled_from(
        [
            "example.com",
            "B\u00fccher.example",
            "[::1]",
            "[2606:4700::1111]",
            "2606:4700::1111",
            "[::1",
            "::1]",
            "[64:ff9b::7f00:1]",
            "[::ffff:10.0.0.1]",
            "1.1.1.1",
            "127.0.0.1",
            "0x7f.1",
            "localhost",
            "xn--",
            "",
            ".",
            "u:p@example.com",
            "[fe80::1%eth0]",
        ]
    ),
    st.text(max_size=30),
)
_PORTS = st.one_of(st.just(""), st.integers(-5, 70000).map(lambda n: f":{n}"), st.text(max_size=8).map(":".__add__))
_PATHS = st.one_of(st.just(""), st.text(max_size=40).map("/".__add__))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), st.tuples(_SCHEMES, _HOSTS, _PORTS, _PATHS)), st.booleans())
def test_any_text_is_a_normalized_url_or_a_field_error(made, allow_loopback):
    url = made if isinstance(made, str) else f"{made[0]}://{made[1]}{made[2]}{made[3]}"
    try:
        normalized = check_url(url, allow_loopback, resolver=answers("93.184.215.14"))
    except Invalid as exc:
        assert list(exc.errors) == ["url"] and all(isinstance(m, str) and m for m in exc.errors["url"])
        return
    assert normalized.isascii() and normalized.isprintable() and " " not in normalized and len(normalized) <= 500
    assert normalized.startswith(("https://", "http://")) and "@" not in normalized.split("/")[2]
    assert check_url(normalized, allow_loopback, resolver=answers("93.184.215.14")) == normalized


@settings(max_examples=300, deadline=None)
@given(st.ip_addresses(v=4), st.sampled_from(list(carriers("127.0.0.1"))))
def test_no_carrier_lets_a_refused_ipv4_address_through(v4, form):
    v6 = ipaddress.IPv6Address(carriers(str(v4))[form])
    if refusal(v4, False) is not None:
        assert refusal(v6, False) is not None
        if v6 != ipaddress.IPv6Address("::1"):  # ::1 (an "IPv4-compatible" 0.0.0.1) is the loopback tests allow
            assert refusal(v6, True) is not None
