"""A real browser: Playwright driving Debian's Chromium against the app on 127.0.0.1, with the
pricing worker running: a client's first run (sign up, preview, post, the start on the region's
clock), the operator's sign-in, and the dev mail page. The fixtures are in browsing.py; the other
features' browser tests are the test_browser_*.py files.

Chromium is required: `make test` installs it (services/browser.sh). If it is missing the
tests fail, they never skip."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import requests
from playwright.sync_api import expect

from api import create_app
from cli.demo import seed_demo
from tests.e2e.browsing import ARTIFACTS, browser, post_a_task, shot, sign_up_client, site  # noqa: F401 - the fixtures
from tests.support import NO_WINDOW, browser_two_factor, live_server, make_tasker
from workers import registry, run_in_threads


def test_client_signs_up_previews_posts_and_sees_the_task_priced(site, browser):  # noqa: F811
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


def test_operator_signs_in_to_the_console(site, browser):  # noqa: F811
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
    lines = public.locator("figure.chart svg.wide polyline").count()  # (drawn again, narrower, for phones)
    assert 2 <= lines <= 5  # categories with equal floors all along share one line, named together
    labels = [t.text_content() or "" for t in public.locator("figure.chart svg.wide text.y-label").all()]
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


def test_a_mail_shows_on_the_dev_mail_page_after_a_task_is_accepted(make_platform, sqlite_url, browser):  # noqa: F811
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


def test_a_client_enters_the_start_on_the_regions_own_clock(site, browser):  # noqa: F811
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
