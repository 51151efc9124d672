"""The browser tests' fixtures and steps: the app served on 127.0.0.1 with its workers, Debian's
Chromium driven by Playwright, and the steps several tests share. Screenshots go to
test-artifacts/ (gitignored).

Chromium is required: `make test` installs it (services/browser.sh). If it is missing the
tests fail, they never skip."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from api import create_app
from cli.demo import seed_demo
from tests.support import NO_WINDOW, live_server, make_tasker
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
def open_site(make_platform, sqlite_url):
    """Every tier sees a task at once; test-mode booking (no card)."""
    with serving(make_platform(sqlite_url, priority_window=NO_WINDOW)) as served:
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
