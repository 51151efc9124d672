"""A real browser (browsing.py): a client pays on the task page, and a card that asks for 3-D Secure
is confirmed there (localstripe's fake Stripe.js)."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.e2e.browsing import browser, paying_site, post_a_task, shot, sign_up_client  # noqa: F401 - the fixtures
from tests.support import make_tasker


def test_client_pays_on_the_task_page_and_the_task_opens_to_taskers(paying_site, browser):  # noqa: F811
    base, _, platform = paying_site
    page = browser.new_page()
    sign_up_client(page, base, "payer@example.test")
    post_a_task(page, "Sweep the patio")
    task_id = int(page.url.rstrip("/").split("/")[-1])
    section = page.get_by_role("region", name="Book and pay")
    expect(section).to_contain_text("We hold")
    card = page.locator("#card-element")  # localstripe's fake card Element, loaded from its Stripe.js
    expect(card.locator("input")).to_have_count(5)
    for placeholder, value in (
        ("number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10001"),
    ):
        card.get_by_placeholder(placeholder, exact=True).fill(value)
    shot(page, "client-card-form")
    page.get_by_role("button", name="on my card").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
    expect(page.locator("[data-payment]")).to_contain_text("the task is open to taskers")
    shot(page, "client-task-paid")

    # A tasker now finds it in the feed, and takes it.
    tasker_id, token = make_tasker(platform, "sweeper@example.test", {"yard-work": 2400}, ["springfield"])
    auth = {"Authorization": f"Bearer {token}"}
    feed = requests.get(f"{base}/api/v1/tasks?open=true", headers=auth, timeout=10)
    assert [t["id"] for t in feed.json()["items"]] == [task_id]
    assert feed.json()["items"][0]["payment_status"] == "authorized"
    assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=auth, timeout=10).status_code == 200

    # The client sees who accepted, and opens their public profile from the task page.
    page.reload()
    accepted_by = page.get_by_role("link", name=f"Tasker {tasker_id}")
    expect(accepted_by).to_be_visible()
    accepted_by.click()
    expect(page.get_by_role("heading", name=f"Tasker {tasker_id}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Tier:")
    shot(page, "client-opens-tasker-profile")
    page.close()


def test_a_card_that_asks_for_3d_secure_is_confirmed_in_the_browser(paying_site, browser):  # noqa: F811
    base, _, platform = paying_site
    page = browser.new_page()
    sign_up_client(page, base, "careful@example.test")
    post_a_task(page, "Trim the hedge")
    card = page.locator("#card-element")
    for placeholder, value in (
        ("number", "4000002500003155"),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10001"),
    ):
        card.get_by_placeholder(placeholder, exact=True).fill(value)
    page.get_by_role("button", name="on my card").click()
    # localstripe's stand-in for the bank's 3-D Secure page, opened by stripe.confirmCardPayment
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
    shot(page, "client-3ds-confirmed")
    page.close()
