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


def test_the_dev_mail_page_links_the_addresses_in_a_letter_and_nothing_else():
    from api.dev_mail import linked

    html = str(linked('Take it: http://127.0.0.1:5000/handoffs/3. <b>"http://a.test/b?c=1&d=2"</b> (http://x.test/y).'))
    assert '<a href="http://127.0.0.1:5000/handoffs/3">http://127.0.0.1:5000/handoffs/3</a>.' in html
    assert '&#34;<a href="http://a.test/b?c=1&amp;d=2">http://a.test/b?c=1&amp;d=2</a>&#34;' in html
    assert '(<a href="http://x.test/y">http://x.test/y</a>).' in html
    assert "<b>" not in html and "&lt;b&gt;" in html
