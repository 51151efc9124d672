"""Issue 31, the words: a category in running text is quoted as named, counts are pluralized, "an
hour", the unsubscribe page links the preferences page (never an API call), /dev/mail with one
letter, and the site's icon at /favicon.ico."""

from __future__ import annotations

from api import create_app
from api.errors import _in_words
from cli.dev_mail import start
from marketplace.accounts.users import create_user
from marketplace.notifications.prefs import unsubscribe_token
from marketplace.notifications.sender import SmtpServer, send_due
from marketplace.tasks.reach import Reach
from tests.faults import free_port
from tests.integration.test_mail import FROM, pending


def test_the_stranded_advice_names_the_category_and_counts_properly():
    [nobody] = Reach(0, 0, None, False).advice(2400, "Yard work", "Springfield")
    assert nobody.startswith("No tasker has the skill “Yard work” in Springfield yet.")
    [one] = Reach(0, 1, 3000, False).advice(2400, "Yard work", "Springfield")
    assert "the one tasker with it asks 30.00 USD/h" in one and "(s)" not in one
    [two] = Reach(0, 2, 3000, False).advice(2400, "Yard work", "Springfield")
    assert "the 2 taskers with it ask 30.00 USD/h or more" in two


def test_a_wait_of_one_hour_is_an_hour():
    assert _in_words(3600) == "an hour"
    assert (_in_words(60), _in_words(86_400), _in_words(7200)) == ("a minute", "a day", "2 hours")


def test_the_unsubscribe_page_links_the_email_preferences_page(client, platform):
    with platform.uow() as uow:
        cara = create_user(uow.session, "cara@example.test", "correct horse battery", "client")
        uow.commit()
        token = unsubscribe_token(platform.settings.secret_key or "", cara.id, "message.sent")
    page = client.post(f"/unsubscribe/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-unsubscribed="true"' in text
    assert 'href="/account/notifications"' in text
    assert "PUT /api/v1/me/notifications" not in text and "/api/" not in text.split("<main", 1)[-1]


def test_dev_mail_with_one_letter_says_so(platform):
    port = free_port()
    controller, mailbox = start(port)
    try:
        pending(platform, 1)
        assert send_due(platform.uow, SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), FROM) == 1
        page = create_app({"TESTING": True, "DEV_MAILBOX": mailbox}, platform=platform).test_client().get("/dev/mail")
        text = page.get_data(as_text=True)
        assert "the only one kept" in text and "the last 1 kept" not in text
    finally:
        controller.stop()


def test_the_site_has_an_icon_at_favicon_ico(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml" and b"<svg" in icon.get_data()
