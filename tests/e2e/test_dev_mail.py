"""/dev/mail exists only where `floorboard dev` gives the app a mailbox."""

from __future__ import annotations

from api import create_app
from cli.dev_mail import start
from marketplace.notifications.sender import SmtpServer, send_due
from tests.faults import free_port
from tests.integration.test_mail import FROM, pending


def test_the_dev_mail_page_shows_what_the_local_server_received(platform):
    port = free_port()
    controller, mailbox = start(port)
    try:
        pending(platform, 2)
        assert send_due(platform.uow, SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), FROM) == 2
        page = create_app({"TESTING": True, "DEV_MAILBOX": mailbox}, platform=platform).test_client().get("/dev/mail")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "Accepted 0" in text and "Accepted 1" in text and "number 1" in text
    finally:
        controller.stop()


def test_a_served_app_has_no_dev_mail_page(client):
    assert client.get("/dev/mail").status_code == 404
