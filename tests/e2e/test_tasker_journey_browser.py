"""A tasker's first day on a phone (Chromium at 390 px), with no API call and no typed address
after signing up: only links and buttons. She sets her regions and a rate per region, finds a task
in her feed, accepts it, writes to the client, and hands it to a connection, who takes it from the
link in the email the offer sent him; then she does the next task, sets up payouts, and sees it
paid. The client's side is done in code (the client's pages have their own browser tests).

The workers run in threads (pricing, payments and the Stripe calls, notifications and the mailer),
with the development mailbox as everyone's inbox (/dev/mail, whose addresses are links) and the
test gateway (no card, and Stripe onboarding returns at once)."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from api import create_app
from cli.demo import seed_demo
from cli.dev_mail import start as start_mail
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.network.connections import request_connection
from marketplace.payments.models import Payment
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.faults import free_port
from tests.support import NO_WINDOW, book, live_server, wait_until
from workers import registry, run_in_threads

CHROMIUM = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
PASSWORD = "a long tasker password"
PEER_PASSWORD = "correct horse battery"
YEARS = 10 * 365 * 86400  # a start window wide enough to work a task booked ahead
WORKERS = ("pricing", "payments", "payment-calls", "notifications", "mailer")


def fits(tab) -> None:
    """No sideways scroll: the page is as wide as the phone."""
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), tab.url


def shot(tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def posted_and_booked(platform, client_id: int, title: str, region: str = "springfield") -> int:
    """The client posts a task in code; the pricing worker prices it; the client books it."""
    starts_at = datetime.now(UTC) + timedelta(days=2)
    with platform.uow() as uow:
        draft = TaskDraft(
            category="yard-work",
            region=region,
            title=title,
            description="Front and back.",
            address="12 Elm Street",
            estimated_minutes=60,
            starts_at=starts_at,
        )
        task_id = post_task(uow, client_id, draft).id
        uow.commit()

    def priced() -> bool:
        with platform.uow() as uow:
            return uow.session.get_one(Task, task_id).status == "priced"

    wait_until(priced, 30)
    book(platform, task_id)
    return task_id


def mail_link(tab, base: str, to: str, subject_part: str, path_part: str):
    """In the inbox (/dev/mail), the newest letter to `to` whose subject has `subject_part`: its
    link whose address has `path_part`."""
    letter = tab.locator("section[data-mail]", has_text=subject_part).filter(has_text=f"To {to}")
    deadline = time.monotonic() + 60
    while letter.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        tab.reload()
    expect(letter.first).to_be_visible()
    return letter.first.locator(f'a[href*="{path_part}"]').first


@pytest.fixture
def world(make_platform, sqlite_url):
    mail_port, port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    controller, mailbox = start_mail(mail_port)
    platform = make_platform(
        sqlite_url,
        priority_window=NO_WINDOW,
        smtp_url=f"smtp://127.0.0.1:{mail_port}",
        public_url=base,
        start_early_s=YEARS,
        completion_tolerance_s=YEARS,
    )
    with platform.uow() as uow:
        seed_demo(uow, demo_users=False)
        client = create_user(uow.session, "casey@example.test", PEER_PASSWORD, "client")
        peer = create_user(uow.session, "pat@example.test", PEER_PASSWORD, "tasker", display_name="Pat")
        set_skills(uow, peer.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        uow.commit()
        ids = {"client": client.id, "peer": peer.id}
    app = create_app({"TESTING": True, "DEV_MAILBOX": mailbox}, platform=platform)
    stop = threading.Event()
    threads = run_in_threads(platform, [registry()[name] for name in WORKERS], stop)
    try:
        with live_server(app, port) as served:
            assert served == base
            yield base, platform, ids
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        controller.stop()


def test_a_tasker_works_a_day_on_her_phone_by_links_and_buttons_alone(world):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is required at {CHROMIUM}: run the suite with `make test`, which installs it")
    base, platform, ids = world
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            tess = chromium.new_context(viewport=PHONE).new_page()
            # Sign up as a tasker, then sign in (signup never says whether an email was known).
            tess.goto(f"{base}/signup")
            tess.get_by_label("Email").fill("tess@example.test")
            tess.get_by_label("Your name (shown to others)").fill("Tess")
            tess.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
            tess.get_by_label("Password again").fill(PASSWORD)
            tess.get_by_label("do tasks (tasker)").check()
            tess.get_by_role("button", name="Create account").click()
            tess.get_by_label("Password").fill(PASSWORD)
            tess.get_by_role("button", name="Sign in").click()

            # Regions and a rate per region: Seattle's floor is above Springfield's.
            tess.get_by_role("navigation", name="Main").get_by_role("link", name="Me").click()
            tess.get_by_role("link", name="Choose the regions you work in").first.click()
            tess.get_by_label("Springfield").check()
            tess.get_by_label("Seattle").check()
            tess.get_by_role("button", name="Save your regions").click()
            tess.get_by_label("Category").select_option("yard-work")
            tess.locator("#add-rate").fill("24.00")
            tess.locator("#add-rate-seattle").fill("30.00")
            tess.get_by_role("button", name="Add the skill").click()
            skill = tess.locator('[data-skill="yard-work"]')
            expect(skill).to_be_visible()
            fits(tess)
            shot(tess, "journey-skills-390")

            first = posted_and_booked(platform, ids["client"], "Rake the front lawn")
            # Pat asks to connect; Tess accepts on her network page.
            with platform.uow() as uow:
                request_connection(uow, uow.session.get_one(User, ids["peer"]), _id_of(uow, "tess@example.test"))
                uow.commit()
            tess.get_by_role("navigation", name="Main").get_by_role("link", name="Network").click()
            tess.get_by_role("button", name="Accept").first.click()
            expect(tess.locator("body")).to_contain_text("Pat")

            # The feed: the task, and Accept.
            tess.get_by_role("navigation", name="Main").get_by_role("link", name="Feed").click()
            card = tess.locator(f'[data-task="{first}"]')
            expect(card).to_contain_text("Rake the front lawn")
            fits(tess)
            shot(tess, "journey-feed-390")
            card.get_by_role("button", name="Accept").click()
            expect(tess.locator('[data-private="address"]')).to_have_text("12 Elm Street")
            tess.get_by_label("Message", exact=False).fill("Hello! Is the side gate open?")
            tess.get_by_role("button", name="Send").click()
            expect(tess.locator("#conversation")).to_contain_text("Is the side gate open?")

            # She can't make it after all: she offers it to Pat.
            tess.get_by_label("Pat", exact=False).check()
            tess.get_by_role("button", name="Offer the task").click()
            expect(tess.locator("body")).to_contain_text("Offered to 1 tasker")
            fits(tess)
            shot(tess, "journey-handoff-offered-390")

            # Pat reads his email and takes it from its link.
            pat = chromium.new_context(viewport=PHONE).new_page()
            pat.goto(f"{base}/dev/mail")  # his inbox
            mail_link(pat, base, "pat@example.test", "offers you", "/handoffs/").click()
            pat.get_by_label("Email").fill("pat@example.test")
            pat.get_by_label("Password").fill(PEER_PASSWORD)
            pat.get_by_role("button", name="Sign in").click()
            fits(pat)
            pat.get_by_role("button", name="Accept the task").click()
            expect(pat.locator('[data-private="address"]')).to_have_text("12 Elm Street")
            shot(pat, "journey-peer-took-it-390")
            with platform.uow() as uow:
                assert uow.session.get_one(Task, first).tasker_id == ids["peer"]

            # The next task: accepted, started and completed, then paid out once payouts are set up.
            second = posted_and_booked(platform, ids["client"], "Weed the beds")
            tess.get_by_role("navigation", name="Main").get_by_role("link", name="Feed").click()
            tess.locator(f'[data-task="{second}"]').get_by_role("button", name="Accept").click()
            tess.get_by_role("button", name="Start the task").click()
            expect(tess.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
            tess.get_by_label("Minutes worked").fill("60")
            tess.get_by_role("button", name="Complete the task").click()
            expect(tess.locator("[data-status]")).to_have_attribute("data-status", "completed")
            tess.get_by_role("navigation", name="Main").get_by_role("link", name="Me").click()
            tess.get_by_role("navigation", name="Your pages").get_by_role("link", name="Earnings").click()
            tess.get_by_role("button", name="Set up payouts with Stripe").click()
            expect(tess.locator("[data-onboarding]")).to_have_attribute("data-onboarding", "done")
            row = tess.locator(f'[data-earning="{second}"] [data-where]')
            deadline = time.monotonic() + 60
            while row.inner_text().strip() != "paid out" and time.monotonic() < deadline:
                time.sleep(1)
                tess.reload()
            expect(row).to_have_text("paid out")
            with platform.uow() as uow:  # the money moved: the capture and the transfer were made
                assert uow.session.get_one(Payment, second).status == "captured"
            fits(tess)
            shot(tess, "journey-earnings-390")
        finally:
            chromium.close()


def _id_of(uow, email: str) -> int:
    from sqlmodel import select

    return uow.session.exec(select(User).where(User.email == email)).one().id
