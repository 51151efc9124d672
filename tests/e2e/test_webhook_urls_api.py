"""Registering a webhook over HTTP: every odd URL (ports out of range, IPv6 without or with broken
brackets, bad IDNs, credentials, control characters, an IPv4 address carried in IPv6, a host
resolving to a private address) is a 422 with a field error on `url`, never a 500; a good one is
stored normalized."""

from __future__ import annotations

import socket

import pytest

from api import create_app
from tests.support import ApiHelper, seeded
from tests.unit.test_webhook_urls import ODD_URLS, carriers

ANSWERS = {  # the stub DNS: no test here asks the real one
    "hooks.example.com": "93.184.215.14",
    "xn--bcher-kva.example": "93.184.215.14",
    "private.example.com": "10.0.0.1",
    "metadata.example.com": "169.254.169.254",
    "nat64.example.com": "64:ff9b::a9fe:a9fe",
    "mapped.example.com": "::ffff:127.0.0.1",
}


def stub_dns(host, port, *args, **kwargs):
    if host not in ANSWERS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    address = ANSWERS[host]
    return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]


@pytest.fixture
def hooks_api(make_platform, sqlite_url, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", stub_dns)
    platform = seeded(make_platform(sqlite_url))  # the production default: no loopback
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    return api, api.signup("tasker")


def register(hooks_api, url):
    api, tasker = hooks_api
    return api.client.post(
        "/api/v1/taskers/me/webhooks", json={"url": url, "kinds": ["message.sent"]}, headers=api.headers(tasker)
    )


CARRIED = [
    f"https://[{v6}]/hooks" for v4 in ("127.0.0.1", "10.0.0.1", "169.254.169.254") for v6 in carriers(v4).values()
]
RESOLVED = [f"https://{name}/hooks" for name, address in ANSWERS.items() if not address.startswith("93.")]


@pytest.mark.parametrize("url", ODD_URLS + CARRIED + RESOLVED + ["https://nowhere.example.com/hooks", 42, None, []])
def test_an_odd_url_is_a_422_with_a_field_error_never_a_500(hooks_api, url):
    r = register(hooks_api, url)
    assert r.status_code == 422, (url, r.status_code, r.json)
    assert r.json["errors"]["json"]["url"], r.json  # a field error on `url`


def test_the_reported_urls_are_refused_and_a_good_one_is_stored_normalized(hooks_api):
    for url in (
        "https://1.1.1.1:99999/hook",
        "https://1.1.1.1:port/hook",
        "https://[::1/hook",
        "https://[64:ff9b::7f00:1]",
    ):
        assert register(hooks_api, url).status_code == 422, url
    made = register(hooks_api, "HTTPS://B\u00fccher.Example:443/h\u00e4?q=1")
    assert made.status_code == 201, made.json
    assert made.json["url"] == "https://xn--bcher-kva.example/h%C3%A4?q=1"
