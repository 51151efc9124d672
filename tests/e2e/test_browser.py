"""A real browser: Playwright driving Debian's Chromium against the app on 127.0.0.1, with the
pricing worker running. Screenshots go to test-artifacts/ (gitignored).

Chromium is required: `make test` installs it (services/browser.sh). If it is missing the
tests fail, they never skip."""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from api import create_app
from cli.demo import seed_demo
from tests.support import NO_WINDOW, browser_two_factor, live_server, make_tasker, wait_until
from workers import registry, run_in_threads

CHROMIUM = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
# Every expectation waits for the state it names; on a loaded machine a live preview or a poll can
# take longer than Playwright's 5 s default to get there, so the wait is bounded at 30 s instead.
expect.set_options(timeout=30_000)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@contextmanager
def serving(platform):
    """The app on 127.0.0.1 with the pricing, payments, market, reviews and reputation workers running."""
    with platform.uow() as uow:
        logins = seed_demo(uow, demo_users=True)
        uow.commit()
    app = create_app({"TESTING": True}, platform=platform)
    stop = threading.Event()
    names = ("pricing", "payments", "market", "reviews", "reputation")
    threads = run_in_threads(platform, [registry()[name] for name in names], stop)
    try:
        with live_server(app) as base:
            yield base, {role: (email, password) for email, password, role in logins}, platform
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)


@pytest.fixture
def site(make_platform, sqlite_url):
    with serving(make_platform(sqlite_url)) as served:
        yield served


@pytest.fixture
def paying_site(make_platform, sqlite_url, stripe_settings):
    """Card holds on localstripe, whose fake Stripe.js the task page loads."""
    with serving(make_platform(sqlite_url, priority_window=NO_WINDOW, **stripe_settings)) as served:
        yield served


@pytest.fixture
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is required at {CHROMIUM}: run the suite with `make test`, which installs it")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def sign_up_client(page, base: str, email: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name (shown to others)").fill("Robin")
    page.get_by_label("Password (at least 10 characters)").fill("a long browser password")
    page.get_by_label("Password again").fill("a long browser password")
    page.get_by_label("post tasks (client)").check()
    page.get_by_role("button", name="Create account").click()
    # Signup never says whether the email was new, so it signs no one in: sign in next (the email is filled in).
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Password").fill("a long browser password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()


def post_a_task(page, title: str) -> None:
    page.get_by_role("link", name="Post a task").first.click()
    preview = page.locator("#quote-preview")
    expect(preview).to_contain_text("Total")  # priced from the form's defaults before anything is typed
    expect(preview.get_by_role("link", name="how prices work")).to_be_visible()
    page.get_by_label("Category").select_option("yard-work")
    page.get_by_label("Region").select_option("springfield")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Start (local time where the task is)").fill("2031-04-02T10:00")
    page.get_by_label("Estimated time (minutes)").fill("95")
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_client_signs_up_previews_posts_and_sees_the_task_priced(site, browser):
    base, _, _ = site
    page = browser.new_page()
    sign_up_client(page, base, "robin@example.test")

    page.get_by_role("link", name="Post a task").first.click()
    page.get_by_label("Category").select_option("yard-work")
    page.get_by_label("Region").select_option("springfield")
    page.get_by_label("Title").fill("Clear the gutters")
    page.get_by_label("Description").fill("Two storeys, ladder on site.")
    page.get_by_label("Start (local time where the task is)").fill("2031-04-02T10:00")
    minutes = page.get_by_label("Estimated time (minutes)")
    preview = page.locator("#quote-preview")
    minutes.fill("95")
    expect(preview).to_contain_text("105 minutes")  # the live preview, updated as the client types
    minutes.fill("200")
    expect(preview).to_contain_text("210 minutes")
    page.get_by_label("Offer more than the floor (dollars an hour, optional)").fill("30")
    expect(preview).to_contain_text("30.00 USD an hour")
    shot(page, "client-quote-preview")

    page.get_by_role("button", name="Post the task").click()
    expect(page.get_by_role("heading", name="Clear the gutters")).to_be_visible()
    # The status box polls the server: it turns to priced once the pricing worker has run.
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)
    expect(page.locator("#task-status")).to_contain_text("Price when posted")
    shot(page, "client-task-priced")

    # The same page on a phone's width: nothing runs off the side.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "client-task-phone")
    page.close()


def test_operator_signs_in_to_the_console(site, browser):
    base, logins, platform = site
    email, password = logins["operator"]
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    browser_two_factor(page, platform, email)  # operators sign in with a code
    expect(page.get_by_role("heading", name="Fee floors in force")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Yard work")
    shot(page, "operator-console")

    # Schedule a change: it shows in the console's table and on the public prices page.
    page.goto(f"{base}/console/floors/yard-work/nyc")
    page.get_by_label("Hourly floor", exact=False).first.fill("2600")
    page.get_by_label("Reason (kept in the audit history)").fill("Yearly review")
    page.get_by_label("Takes effect (on this region's clock", exact=False).fill("2031-01-01T09:00")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.locator("table")).to_contain_text("2031-01-01")
    public = browser.new_page()  # anonymous
    public.goto(f"{base}/prices/nyc")
    expect(public.locator("#yard-work")).to_contain_text("26.00 USD/h from 2031-01-01")
    expect(public.locator("#yard-work")).to_contain_text("Yard work in New York City")  # names, not slugs
    legend = public.locator("figure.chart .legend")
    for name in ("Yard work", "Moving help", "Furniture assembly", "Mounting and lighting installation"):
        expect(legend).to_contain_text(name)  # every category named, none cut off
    lines = public.locator("figure.chart polyline").count()
    assert 2 <= lines <= 5  # categories with equal floors all along share one line, named together
    labels = [t.text_content() or "" for t in public.locator("figure.chart svg text[text-anchor=end]").all()]
    cents = [int(label.split()[0].replace(",", "").replace(".", "")) for label in labels]
    step = cents[1] - cents[0]
    assert cents[0] == 0 and all(b - a == step for a, b in zip(cents, cents[1:], strict=False))  # evenly spaced...
    assert step % 100 == 0 or step in (25, 50)  # ...at round amounts
    shot(public, "public-prices")
    public.set_viewport_size({"width": 390, "height": 844})
    assert public.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    shot(public, "public-prices-phone")
    public.close()
    page.close()


def test_client_pays_on_the_task_page_and_the_task_opens_to_taskers(paying_site, browser):
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


def test_a_card_that_asks_for_3d_secure_is_confirmed_in_the_browser(paying_site, browser):
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


def test_the_api_docs_render_every_operation_and_try_it_out_calls_the_api(site, browser):
    base, _, _ = site
    page = browser.new_page()
    failures: list[str] = []
    page.on("console", lambda m: failures.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/api/docs")
    categories = page.locator(".opblock-get").filter(has=page.locator('[data-path="/api/v1/categories"]'))
    expect(categories).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    spec = requests.get(f"{base}/api/openapi.json", timeout=10).json()
    verbs = {"get", "put", "post", "delete", "patch"}
    operations = sum(len(verbs & set(item)) for item in spec["paths"].values())
    assert page.locator(".opblock").count() == operations
    categories.locator(".opblock-summary").click()
    categories.get_by_role("button", name="Try it out").click()
    categories.get_by_role("button", name="Execute").click()
    status = categories.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200", timeout=15_000)
    expect(categories.locator(".live-responses-table")).to_contain_text("yard-work")
    shot(page, "api-docs")
    assert not [f for f in failures if "Content Security Policy" in f], failures
    page.close()


def test_a_taskers_developer_reads_the_docs_sets_skills_and_is_told_when_the_feed_opens(site, browser):
    """The first hour of a tasker's developer: the docs in a browser, then the API they describe."""
    base, logins, platform = site
    page = browser.new_page()
    page.goto(f"{base}/api/docs")
    skills_op = page.locator(".opblock-put").filter(has=page.locator('[data-path="/api/v1/taskers/me/skills"]'))
    expect(skills_op).to_be_visible(timeout=30_000)
    skills_op.locator(".opblock-summary").click()
    expect(skills_op).to_contain_text("yard-work")  # the request body's example shows what to send
    page.close()

    http = requests.Session()
    signup = {"email": "dev@example.test", "password": "correct horse battery", "role": "tasker"}
    assert http.post(f"{base}/api/v1/users", json=signup, timeout=10).status_code == 201
    credentials = {"email": signup["email"], "password": signup["password"]}
    token = http.post(f"{base}/api/v1/auth/token", json=credentials, timeout=10)
    http.headers["Authorization"] = f"Bearer {token.json()['token']}"
    mine = http.put(
        f"{base}/api/v1/taskers/me/skills",
        json={"regions": ["springfield"], "skills": [{"category": "yard-work", "rate": 2400}]},
        timeout=10,
    )
    assert mine.status_code == 200 and mine.json()["waiting"]["windows"] == {"yard-work": 180}
    client_email, client_password = logins["client"]
    client = requests.Session()
    client_token = client.post(
        f"{base}/api/v1/auth/token", json={"email": client_email, "password": client_password}, timeout=10
    ).json()["token"]
    client.headers["Authorization"] = f"Bearer {client_token}"
    task = {"category": "yard-work", "region": "springfield", "title": "Hedge", "estimated_minutes": 60}
    task_id = client.post(f"{base}/api/v1/tasks", json=task | {"starts_at": "2031-05-01T09:00:00Z"}, timeout=10)
    task_id = task_id.json()["id"]
    booked = {"payment_method": "pm_card_visa"}

    def waiting() -> dict:
        client.post(f"{base}/api/v1/tasks/{task_id}/book", json=booked, timeout=10)  # once it is priced
        return http.get(f"{base}/api/v1/tasks?open=true", timeout=10).json()

    deadline = time.monotonic() + 30
    while (feed := waiting())["waiting"]["count"] == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert feed["items"] == [] and feed["waiting"]["count"] == 1  # a newcomer waits behind the window...
    assert feed["waiting"]["next_opens_at"] and "higher tiers" in feed["waiting"]["explanation"]  # ...and is told


@pytest.fixture
def open_site(make_platform, sqlite_url):
    """Every tier sees a task at once; test-mode booking (no card)."""
    with serving(make_platform(sqlite_url, priority_window=NO_WINDOW)) as served:
        yield served


def test_the_clients_page_follows_an_accept_and_a_tasker_cancel_live(open_site, browser):
    base, _, platform = open_site
    page = browser.new_page()
    sign_up_client(page, base, "follower@example.test")
    post_a_task(page, "Paint the fence")
    task_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)

    tasker_id, token = make_tasker(platform, "painter@example.test", {"yard-work": 2400}, ["springfield"])
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=auth, timeout=10).status_code == 200
    back = requests.post(
        f"{base}/api/v1/tasks/{task_id}/cancel", json={"reason": "My van broke down"}, headers=auth, timeout=10
    )
    assert back.status_code == 200
    # No reload: the status box polls, and the timeline keeps both steps with the tasker's words.
    timeline = page.locator("ol.timeline")
    expect(timeline.locator('[data-step="reopened"]')).to_be_visible(timeout=30_000)
    expect(timeline.locator('[data-step="accepted"]')).to_contain_text(f"Tasker {tasker_id}")
    expect(timeline.locator('[data-step="cancelled"]')).to_contain_text("My van broke down")
    expect(timeline.locator('[data-step="priced"]')).to_have_count(1)
    shot(page, "client-timeline-after-tasker-cancel")
    page.close()


def test_a_client_sees_their_task_handed_to_a_new_tasker_opens_their_profile_and_cancels_free(open_site, browser):
    base, _, platform = open_site
    page = browser.new_page()
    sign_up_client(page, base, "handed@example.test")
    page.get_by_role("link", name="Post a task").first.click()
    page.get_by_label("Category").select_option("yard-work")
    page.get_by_label("Region").select_option("springfield")
    page.get_by_label("Title").fill("Rake the leaves")
    soon = datetime.now(UTC) + timedelta(hours=10)  # inside the 24 h in which cancelling costs an hour
    local = soon.astimezone(ZoneInfo("America/Chicago"))  # Springfield's clock
    page.get_by_label("Start (local time where the task is)").fill(local.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)
    task_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)

    first, first_token = make_tasker(platform, "first@example.test", {"yard-work": 2400}, ["springfield"])
    second, second_token = make_tasker(platform, "second@example.test", {"yard-work": 2400}, ["springfield"])
    as_first, as_second = ({"Authorization": f"Bearer {t}"} for t in (first_token, second_token))
    assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=as_first, timeout=10).status_code == 200
    offered = requests.post(
        f"{base}/api/v1/tasks/{task_id}/handoff", json={"tasker_ids": [second]}, headers=as_first, timeout=10
    )
    assert offered.status_code == 201, offered.text
    offer_id = offered.json()["offers"][0]["id"]
    assert requests.post(f"{base}/api/v1/handoffs/{offer_id}/accept", headers=as_second, timeout=10).status_code == 200

    timeline = page.locator("ol.timeline")  # the status box polls: the hand-off shows without a reload
    expect(timeline.locator('[data-step="handed_off"]')).to_contain_text(f"Handed by Tasker {first} to Tasker {second}")
    page.reload()
    card = page.locator("[data-handed-off]")
    expect(card).to_contain_text("cancel free of charge")
    shot(page, "client-task-handed-off")
    card.get_by_role("link", name=f"Tasker {second}").click()
    expect(page.get_by_role("heading", name=f"Tasker {second}")).to_be_visible()
    page.go_back()
    expect(page.get_by_text("you did not choose", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Cancel for free").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "cancelled", timeout=30_000)
    with platform.uow() as uow:
        from marketplace.tasks.quotes import quotes_of

        assert "cancellation" not in quotes_of(uow.session, task_id)  # no fee
    page.close()


def test_a_client_and_a_tasker_talk_on_the_task_page_with_the_unread_count(open_site, browser):
    base, _, platform = open_site
    page = browser.new_page()
    sign_up_client(page, base, "talker@example.test")
    post_a_task(page, "Trim the hedge")
    task_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
    _, token = make_tasker(platform, "talker-tasker@example.test", {"yard-work": 2400}, ["springfield"])
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=auth, timeout=10).status_code == 200
    page.reload()
    # The tasker writes through the API; the open page shows it without a reload (the status box polls).
    sent = requests.post(
        f"{base}/api/v1/tasks/{task_id}/messages", json={"body": "Hi! Is the side gate open?"}, headers=auth, timeout=10
    )
    assert sent.status_code == 201
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text("Is the side gate open?", timeout=30_000)
    page.get_by_label("Message (plain text", exact=False).fill("Yes, and mind the dog.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#conversation")).to_contain_text("mind the dog")
    thread = requests.get(f"{base}/api/v1/tasks/{task_id}/messages", headers=auth, timeout=10).json()
    assert thread["messages"][-1]["body"] == "Yes, and mind the dog."
    # A new message while the client is elsewhere (not on the task page, whose poll reads the thread):
    # the header counts it until the task page is opened.
    page.goto(f"{base}/tasks")
    # A status poll the task page sent just before it was left may still be served (on a loaded
    # machine, after the message below), and it would read the message: let it land first.
    page.wait_for_timeout(3000)
    requests.post(f"{base}/api/v1/tasks/{task_id}/messages", json={"body": "See you at 9."}, headers=auth, timeout=10)
    page.reload()
    expect(page.locator("header [data-unread]")).to_have_attribute("data-unread", "1")
    shot(page, "client-unread-message")
    page.goto(f"{base}/tasks/{task_id}")
    expect(page.locator("#conversation")).to_contain_text("See you at 9.")
    page.goto(f"{base}/tasks")
    expect(page.locator("header [data-unread]")).to_have_count(0)
    page.close()


def test_a_mail_shows_on_the_dev_mail_page_after_a_task_is_accepted(make_platform, sqlite_url, browser):
    from cli.dev_mail import start as start_mail
    from tests.faults import free_port

    port = free_port()
    controller, mailbox = start_mail(port)
    platform = make_platform(sqlite_url, priority_window=NO_WINDOW, smtp_url=f"smtp://127.0.0.1:{port}")
    with platform.uow() as uow:
        seed_demo(uow, demo_users=True)
        uow.commit()
    app = create_app({"TESTING": True, "DEV_MAILBOX": mailbox}, platform=platform)
    stop = threading.Event()
    names = ("pricing", "payments", "notifications", "mailer")
    threads = run_in_threads(platform, [registry()[n] for n in names], stop)
    try:
        with live_server(app) as base:
            page = browser.new_page()
            sign_up_client(page, base, "mailed@example.test")
            post_a_task(page, "Sweep the porch")
            task_id = int(page.url.rstrip("/").split("/")[-1])
            page.get_by_role("button", name="Book (test mode)").click()
            expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
            _, token = make_tasker(platform, "sweeper@example.test", {"yard-work": 2400}, ["springfield"])
            auth = {"Authorization": f"Bearer {token}"}
            assert requests.post(f"{base}/api/v1/tasks/{task_id}/accept", headers=auth, timeout=10).status_code == 200
            page.goto(f"{base}/dev/mail")
            accepted = page.locator("section", has_text="accepted “Sweep the porch”")
            deadline = time.monotonic() + 30
            while accepted.count() == 0 and time.monotonic() < deadline:
                time.sleep(0.5)
                page.reload()
            expect(accepted.first).to_contain_text("To mailed@example.test")
            expect(accepted.first).to_contain_text(f"/tasks/{task_id}")
            shot(page, "dev-mail-after-accept")
            page.close()
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        controller.stop()


def test_a_client_enters_the_start_on_the_regions_own_clock(site, browser):
    """Seattle keeps Pacific time: 10:00 on a July morning there is 17:00 UTC, and the page says
    10:00 PDT; a time the clocks skip in March is refused on its field."""
    base, _, platform = site
    page = browser.new_page()
    sign_up_client(page, base, "pacific@example.test")
    page.get_by_role("link", name="Post a task").first.click()
    page.get_by_label("Category").select_option("yard-work")
    expect(page.get_by_label("Region").locator("option[value=seattle]")).to_contain_text("America/Los Angeles")
    page.get_by_label("Region").select_option("seattle")
    page.get_by_label("Title").fill("Mow before the barbecue")
    start = page.get_by_label("Start (local time where the task is)")
    start.fill("2031-03-09T02:30")  # 02:00 becomes 03:00 that night in Seattle
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("#task-form")).to_contain_text("does not exist in America/Los_Angeles")
    page.get_by_label("Start (local time where the task is)").fill("2031-07-02T10:00")
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)
    expect(page.locator("[data-starts-local]")).to_have_text("2031-07-02 10:00 PDT")
    task_id = int(page.url.rstrip("/").split("/")[-1])
    with platform.uow() as uow:
        from marketplace.tasks.models import Task

        assert uow.session.get(Task, task_id).starts_at == datetime(2031, 7, 2, 17, 0, tzinfo=UTC)
    shot(page, "client-local-start-time")
    page.close()


def test_the_operator_sees_a_floor_change_marked_on_the_market_chart(site, browser):
    base, logins, platform = site
    page = browser.new_page()
    email, password = logins["operator"]
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    browser_two_factor(page, platform, email)  # operators sign in with a code
    page.goto(f"{base}/console/floors/yard-work/springfield")
    page.get_by_label("Hourly floor", exact=False).first.fill("2600")
    page.get_by_label("Reason (kept in the audit history)").fill("Autumn review")
    page.get_by_label("Public summary", exact=False).fill("Yard work up to $26 an hour")
    page.get_by_role("button", name="Save a new version").click()
    expect(page.locator("table")).to_contain_text("26.00")

    # The dashboard, read with JavaScript off: the charts are drawn on the server.
    context = browser.new_context(java_script_enabled=False)
    dashboard = context.new_page()
    dashboard.goto(f"{base}/login")
    dashboard.get_by_label("Email").fill(email)
    dashboard.get_by_label("Password").fill(password)
    dashboard.get_by_role("button", name="Sign in").click()
    browser_two_factor(dashboard, platform, email)
    dashboard.get_by_role("link", name="Market").click()
    expect(dashboard.get_by_role("heading", name="Market health")).to_be_visible()
    dashboard.get_by_label("Category").select_option("yard-work")
    dashboard.get_by_label("Region").select_option("springfield")
    dashboard.get_by_role("button", name="Show").click()
    chart = dashboard.locator("figure[data-chart=pay] svg[role=img]")
    expect(chart).to_be_visible()
    marker = chart.locator("g.floor-change[data-marker=v2]")
    expect(marker).to_have_count(1)
    expect(marker.locator("text")).to_contain_text("v2: Yard work up to $26 an hour")
    expect(marker.locator("title")).to_have_text("Floor change v2: Yard work up to $26 an hour")
    box = marker.locator("line").bounding_box()
    assert box is not None and box["height"] > 100  # a line across the chart, not a dot
    panel = dashboard.locator("[data-floor-change='2']")
    expect(panel).to_contain_text("too few tasks")
    expect(panel).to_contain_text("24.00 USD → 26.00 USD an hour")
    shot(dashboard, "operator-market-dashboard")
    context.close()
    page.close()


def test_a_tasker_asks_the_board_a_peer_answers_and_the_asker_marks_it(site, browser):
    base, logins, platform = site
    email, password = logins["tasker"]
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/boards/yard-work")
    page.get_by_label("Your question, in a line").fill("How do you quote a hedge?")
    page.get_by_label("The details (Markdown)").fill("By the **metre**, or by the hour?")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_role("heading", name="How do you quote a hedge?")).to_be_visible()
    expect(page.locator(".tip-body strong")).to_have_text("metre")  # Markdown, rendered and sanitized
    question_id = int(page.url.rstrip("/").split("/")[-1])

    _, token = make_tasker(platform, "hedge-peer@example.test", {"yard-work": 2400}, ["springfield"])
    answered = requests.post(
        f"{base}/api/v1/questions/{question_id}/answers",
        json={"body": "By the hour: hedges hide *surprises*."},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    page.reload()
    answer = page.locator(f"[data-answer='{answered.json()['id']}']")
    expect(answer).to_contain_text("hedges hide surprises")
    answer.get_by_role("button", name="This helped me").click()
    expect(page.locator("[data-accepted=true]")).to_contain_text("The answer that helped the asker")
    expect(page.get_by_role("button", name="This helped me")).to_have_count(0)  # once per question
    shot(page, "tasker-question-answered")

    public = browser.new_page()  # anyone reads it, from the board
    public.goto(f"{base}/boards/yard-work")
    expect(public.locator("#questions ~ article.question").first).to_contain_text("answered")
    public.get_by_role("link", name="How do you quote a hedge?").click()
    expect(public.locator("[data-accepted=true]")).to_contain_text("hedges hide surprises")
    expect(public.get_by_role("button", name="Helpful")).to_have_count(0)  # only taskers vote
    public.close()
    page.close()


def completed_task(page, base: str, platform, email: str) -> tuple[int, int, dict]:
    """A client signs up, posts and books a task; a tasker accepts, starts and completes it."""
    sign_up_client(page, base, email)
    page.get_by_role("link", name="Post a task").first.click()
    page.get_by_label("Category").select_option("yard-work")
    page.get_by_label("Region").select_option("springfield")
    page.get_by_label("Title").fill("Mow the lawn")
    soon = (datetime.now(UTC) + timedelta(hours=1)).astimezone(ZoneInfo("America/Chicago"))
    page.get_by_label("Start (local time where the task is)").fill(soon.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)
    task_id = int(page.url.rstrip("/").split("/")[-1])
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
    tasker_id, token = make_tasker(platform, f"tasker-{email}", {"yard-work": 2400}, ["springfield"])
    auth = {"Authorization": f"Bearer {token}"}
    for step, body in (("accept", None), ("start", None), ("complete", {"minutes_worked": 1})):
        r = requests.post(f"{base}/api/v1/tasks/{task_id}/{step}", json=body, headers=auth, timeout=10)
        assert r.status_code == 200, (step, r.text)
    page.reload()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "completed", timeout=30_000)
    return task_id, tasker_id, auth


def test_a_client_books_the_tasker_of_a_completed_task_again(open_site, browser):
    base, _, platform = open_site
    page = browser.new_page()
    _, tasker_id, auth = completed_task(page, base, platform, "again@example.test")

    page.locator("[data-book-again]").click()  # on the completed task's page
    expect(page.locator("[data-rebooking]")).to_contain_text("they alone see it")
    expect(page.get_by_label("Category")).to_have_value("yard-work")
    page.get_by_label("Title").fill("Mow the lawn again")
    later = (datetime.now(UTC) + timedelta(days=7)).astimezone(ZoneInfo("America/Chicago"))
    page.get_by_label("Start (local time where the task is)").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Only this tasker", exact=False).check()
    page.get_by_role("button", name="Post the task").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "priced", timeout=30_000)
    expect(page.locator("[data-addressed]")).to_contain_text("cancelled free of charge")
    again = int(page.url.rstrip("/").split("/")[-1])
    with platform.uow() as uow:
        from marketplace.tasks.models import Task

        task = uow.session.get(Task, again)
        assert (task.addressed_to_id, task.only_addressed) == (tasker_id, True)
    page.get_by_role("button", name="Book (test mode)").click()
    expect(page.locator("[data-payment]")).to_have_attribute("data-payment", "authorized", timeout=30_000)
    feed = requests.get(f"{base}/api/v1/tasks?open=true", headers=auth, timeout=10).json()
    assert again in [t["id"] for t in feed["items"]]  # in the tasker's feed, addressed to them
    shot(page, "client-rebooked")
    page.close()


def test_both_reviews_appear_together_after_the_second_is_written(open_site, browser):
    base, _, platform = open_site
    page = browser.new_page()
    task_id, tasker_id, auth = completed_task(page, base, platform, "reviewer@example.test")
    page.get_by_label("★★★★★", exact=True).check()
    page.get_by_label("Comment", exact=True).fill("Neat edges.")
    page.get_by_role("button", name="Send the review").click()
    expect(page.locator("[data-review=mine]")).to_contain_text("not shown to anyone yet")
    expect(page.locator("[data-reviews]")).to_have_attribute("data-reviews", "hidden")
    public = requests.get(f"{base}/api/v1/taskers/{tasker_id}", timeout=10).json()
    assert all(c["reviews"] == 0 for c in public["categories"])  # not counted, not shown
    theirs = requests.get(f"{base}/api/v1/tasks/{task_id}/reviews", headers=auth, timeout=10).json()
    assert theirs["theirs"] is None and theirs["theirs_written"]  # the tasker cannot read it either
    written = requests.post(
        f"{base}/api/v1/tasks/{task_id}/review", json={"rating": 4, "comment": "Clear brief."}, headers=auth, timeout=10
    )
    assert written.status_code == 201, written.text

    def revealed() -> bool:
        page.reload()
        return page.locator("[data-reviews]").get_attribute("data-reviews") == "revealed"

    wait_until(revealed, 30, message="the reviews worker to reveal both")
    expect(page.locator("[data-review=mine]")).to_contain_text("Neat edges.")
    expect(page.locator("[data-review=theirs]")).to_contain_text("Clear brief.")
    both = requests.get(f"{base}/api/v1/tasks/{task_id}/reviews", headers=auth, timeout=10).json()
    assert both["revealed"] and both["theirs"]["comment"] == "Neat edges."
    shot(page, "client-reviews-revealed")
    page.close()
