"""The webhook sender connects to the address that passed the SSRF check, never to a second DNS
answer (a stub resolver that changes its answer, a loopback listener that must hear nothing), and
over TLS still verifies the host name, sent as SNI and in the Host header (a loopback HTTPS
receiver with a certificate from a test CA). A stored URL the sender cannot use fails its own row,
and the rest of the batch goes on."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from api import create_app
from marketplace.notifications.webhook_sender import post, send_due
from marketplace.notifications.webhook_urls import PermanentDeliveryError
from marketplace.notifications.webhooks import WebhookEndpoint
from tests.integration.test_webhooks import deliveries, queue_one
from tests.support import NO_WINDOW, ApiHelper, seeded
from tests.webhook_receiver import Receiver
from workers.links import SiteLinks

LINKS = SiteLinks("http://floorboard.test")  # what the webhooks worker builds from PUBLIC_URL

PUBLIC = "93.184.215.14"  # a public address: the watch below refuses any connection to it
NAME = "hooks.example.test"

_connects: list[tuple[str, int]] | None = None  # while a test watches: every TCP connect this process makes


def _audit(event: str, args: tuple) -> None:
    if event == "socket.connect" and _connects is not None and isinstance(args[1], tuple):
        host, port = args[1][0], args[1][1]
        _connects.append((host, port))
        if host not in ("127.0.0.1", "::1"):
            raise ConnectionRefusedError(f"the test refuses a connection to {host} (no real network)")


sys.addaudithook(_audit)  # an audit hook cannot be removed: it records only while a test watches


@pytest.fixture
def connects():
    global _connects
    _connects = []
    try:
        yield _connects
    finally:
        _connects = None


@pytest.fixture
def listener():
    """A loopback TCP listener that must not hear from the sender: its port, and a probe."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)

    def heard() -> bool:
        try:
            server.accept()[0].close()
        except TimeoutError:
            return False
        return True

    try:
        yield server.getsockname()[1], heard
    finally:
        server.close()


def rebinding(lookups: list[str], first: str, then: str):
    """A resolver whose answer changes after the first lookup (the rebinding attack)."""

    def resolve(host, port, *args, **kwargs):
        lookups.append(host)
        address = first if len(lookups) == 1 else then
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    return resolve


def test_a_dns_answer_that_turns_private_after_the_check_is_never_connected_to(monkeypatch, connects, listener):
    port, heard = listener
    lookups: list[str] = []
    monkeypatch.setattr(
        socket, "getaddrinfo", rebinding(lookups, PUBLIC, "127.0.0.1")
    )  # every lookup, even http.client's
    with pytest.raises(OSError) as caught:
        post(f"https://rebind.example.test:{port}/hooks", b"{}", {}, 1.0, allow_loopback=False)
    assert not isinstance(caught.value, PermanentDeliveryError)  # a refused connection: try again later
    assert lookups == ["rebind.example.test"]  # resolved once
    assert connects == [(PUBLIC, port)]  # to the checked address, and only there
    assert not heard()


def test_the_injected_resolver_is_asked_once_and_its_checked_answer_is_the_one_connected_to(connects, listener):
    port, heard = listener
    lookups: list[str] = []
    with pytest.raises(OSError):
        post(
            f"https://rebind.example.test:{port}/h",
            b"{}",
            {},
            1.0,
            False,
            resolve=rebinding(lookups, PUBLIC, "10.0.0.1"),
        )
    assert lookups == ["rebind.example.test"] and connects == [(PUBLIC, port)] and not heard()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    """A test CA and a certificate it signed for hooks.example.test only."""
    here = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=here, check=True, capture_output=True)

    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Floorboard test CA")
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={NAME}")
    (here / "ext.cnf").write_text(
        f"subjectAltName=DNS:{NAME}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial")
    openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-out", "leaf.pem", "-days", "2",
        "-extfile", "ext.cnf",
    )  # fmt: skip
    return here


@pytest.fixture
def tls_receiver(certificates):
    """The tests' webhook receiver behind TLS on loopback: it, the SNI names it was sent, and a
    client context that trusts the test CA."""
    receiver = Receiver()
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(certificates / "leaf.pem", certificates / "leaf.key")
    names: list[str | None] = []
    server_tls.sni_callback = lambda _socket, name, _context: names.append(name)
    receiver.server.socket = server_tls.wrap_socket(receiver.server.socket, server_side=True)
    client_tls = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    with receiver:
        yield receiver, names, client_tls


def test_https_goes_to_the_checked_address_and_still_verifies_the_host_name(tls_receiver, connects):
    receiver, names, client_tls = tls_receiver
    port = receiver.server.server_address[1]
    lookups: list[str] = []
    resolve = rebinding(lookups, "127.0.0.1", "10.0.0.1")
    status = post(f"https://{NAME}:{port}/hooks?x=1", b'{"ok":1}', {}, 5.0, True, resolve=resolve, tls=client_tls)
    assert status == 200 and lookups == [NAME] and connects == [("127.0.0.1", port)]
    [(headers, body)] = receiver.received
    assert headers["host"] == f"{NAME}:{port}" and body == b'{"ok":1}'
    assert names == [NAME]  # SNI carries the name, not the address


def test_a_certificate_for_another_name_is_refused_and_nothing_is_sent(tls_receiver):
    receiver, _, client_tls = tls_receiver
    port = receiver.server.server_address[1]
    resolve = rebinding([], "127.0.0.1", "127.0.0.1")
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        post(f"https://other.example.test:{port}/hooks", b"{}", {}, 5.0, True, resolve=resolve, tls=client_tls)
    assert isinstance(caught.value, OSError) and not isinstance(caught.value, PermanentDeliveryError)
    assert receiver.received == []


def test_a_stored_url_the_sender_cannot_use_fails_its_own_row_and_the_batch_goes_on(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW, webhooks_allow_loopback=True))
    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    tasker = api.signup("tasker")
    with Receiver() as receiver:
        with platform.uow() as uow:  # saved before registration parsed URLs in full
            for url in ("https://1.1.1.1:99999/hook", "https://[64:ff9b::7f00:1]/hook", receiver.url):
                uow.session.add(
                    WebhookEndpoint(tasker_id=tasker["id"], url=url, kinds="task.handoff_offered", secret="whsec_eA==")
                )
            uow.commit()
        queue_one(platform, tasker["id"])
        assert send_due(platform.uow, LINKS, allow_loopback=True, timeout_s=2.0) == 1  # raised nothing: no outage
        assert len(receiver.received) == 1
    bad_port, nat64, good = deliveries(platform)
    assert good.status == "sent"
    assert bad_port.status != "sending" and "UnusableUrl" in bad_port.last_error and "port" in bad_port.last_error
    assert nat64.status != "sending" and "BlockedAddress" in nat64.last_error and "127.0.0.1" in nat64.last_error
