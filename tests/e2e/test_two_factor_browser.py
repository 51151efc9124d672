"""Two-factor sign-in in a real browser (Playwright and Debian's Chromium, tests/e2e/browsing.py),
on a phone's width and with JavaScript off: a new operator signs in, is sent to set it up (the
console refuses them until then), reads the key off the page as a person without a camera would,
turns it on with a code, and signs in again with a code. The code already used, and a stale one,
are refused. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from marketplace.accounts.users import create_user
from tests.e2e.browsing import browser, shot, site  # noqa: F401 - the fixtures

EMAIL, PASSWORD = "new-operator@example.test", "a long operator password"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def _password_step(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_operator_enrols_by_reading_the_key_and_signs_in_with_a_code(site, browser):  # noqa: F811
    base, _, platform = site
    with platform.uow() as uow:
        create_user(uow.session, EMAIL, PASSWORD, "operator", "Nia Newcomer")
        uow.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()

    _password_step(page, base)
    expect(page).to_have_url(f"{base}/account/two-factor")
    expect(page.get_by_text("Operators must sign in with two-factor")).to_have_count(2)  # the notice and the page
    page.goto(f"{base}/console/floors")  # the console refuses until it is on
    expect(page).to_have_url(f"{base}/account/two-factor")
    page.get_by_role("button", name="Set up two-factor sign-in").click()

    expect(page.locator("figure.qr svg")).to_be_visible()  # the QR code, drawn on the server
    typed = page.locator("#two-factor-secret").inner_text()  # as a person without a camera reads it
    secret = re.sub(r"\s", "", typed)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), typed
    # The same key in the otpauth:// link the QR code draws, for an app on this very phone.
    link = page.locator("#otpauth-link").get_attribute("href")
    assert link.startswith("otpauth://totp/Floorboard:new-operator%40example.test?") and f"secret={secret}" in link
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "two-factor-enrol-phone")
    totp = pyotp.TOTP(secret)
    first = totp.now()
    page.get_by_label("6-digit code from your app").fill(first)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on. Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    shot(page, "two-factor-recovery-codes-phone")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Fee floors in force")).to_be_visible()
    page.get_by_role("button", name=re.compile("Sign out")).click()

    # Signing in again: the password, then a code.
    _password_step(page, base)
    expect(page).to_have_url(re.compile(r"/login/code"))
    code = page.get_by_label("6-digit code from your app, or a recovery code")
    code.fill(first)  # the code already used to turn it on: refused
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right, or was already used")).to_be_visible()
    code.fill(totp.at(time.time() - 120))  # a code read two minutes ago: stale
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right, or was already used")).to_be_visible()
    page.goto(f"{base}/console/floors")  # still not signed in
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    _password_step(page, base)
    page.get_by_label("6-digit code from your app, or a recovery code").fill(totp.at(time.time() + 30))  # fresh
    shot(page, "two-factor-sign-in-phone")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Fee floors in force")).to_be_visible()
    context.close()
