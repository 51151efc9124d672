"""Sessions and tokens on a phone (390 px) in a real browser: a tasker follows the header's Account
link to the hub, opens Sessions and tokens, reads each browser and token in a card inside the
screen, revokes the token an app holds (its next call is a 401) and signs out everywhere else."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import col, select

from marketplace.accounts.models import User
from marketplace.accounts.tokens import issue_token
from tests.e2e.test_browser import browser, site  # noqa: F401 - the fixtures
from tests.e2e.test_phone_tables_browser import WIDTH, _fits

PHONE_AGENT = "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0"


def test_a_tasker_ends_a_token_and_other_sessions_from_a_phone(site, browser):  # noqa: F811
    base, logins, platform = site
    email, password = logins["tasker"]
    with platform.uow() as uow:
        tasker = uow.session.exec(select(User).where(col(User.email) == email)).one()
        token = issue_token(uow.session, tasker, client="Python Requests", name="Tess's scheduling bot, on the shed PC")
        uow.commit()
    laptop = browser.new_page(viewport={"width": 1280, "height": 800})  # another browser, signed in too
    laptop.goto(f"{base}/login")
    laptop.get_by_label("Email").fill(email)
    laptop.get_by_label("Password").fill(password)
    laptop.get_by_role("button", name="Sign in").click()
    expect(laptop.get_by_role("link", name="Account")).to_be_visible()

    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, user_agent=PHONE_AGENT)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_role("link", name="Sessions and tokens").click()
    expect(page.locator("tr[data-current=true] td[data-label=Browser]")).to_contain_text("Firefox on Android")
    expect(page.locator("tr[data-token]")).to_contain_text("Tess's scheduling bot")
    _fits(page, "main table.sessions", {"Browser", "Signed in", "Last used"})
    _fits(page, "main table.tokens", {"App", "Created", "Last used", "Expires"})

    api = context.request
    assert api.get(f"{base}/api/v1/me/sessions", headers={"Authorization": f"Bearer {token}"}).status == 200
    page.locator("tr[data-token]").get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("Token revoked")
    assert api.get(f"{base}/api/v1/me/sessions", headers={"Authorization": f"Bearer {token}"}).status == 401

    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(page.get_by_role("status")).to_contain_text("Signed out everywhere else: 1 session ended.")
    expect(page.locator("tr[data-session]")).to_have_count(1)
    laptop.reload()
    expect(laptop.get_by_role("button", name="Sign in")).to_be_visible()  # sent to sign in
    context.close()
