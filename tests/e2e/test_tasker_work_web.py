"""A tasker's work on the web (forms with CSRF, no API call by the tasker): the feed with why each
task is there, accepting, the held task's page (the address, start, the conversation, complete
with minutes, review the client, give back, hand off), who may see and act on what, and the honest
numbers (no rating without reviews, "opens to you at" before the tier's window, the tier note only
when a higher tier sees the task sooner).

Over 400 lines on purpose: one feature, a tasker's work pages; its tests share the held task's
steps."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect, sync_playwright

from api import create_app
from marketplace.accounts.users import create_user
from marketplace.community.models import Reputation
from marketplace.tasks.models import Task
from tests.support import NO_WINDOW, ApiHelper, csrf, live_server, make_tasker, seeded

PASSWORD = "correct horse battery"  # make_tasker's and ApiHelper.signup's
YEARS = 10 * 365 * 86400  # a start window wide enough to work a task booked years ahead
HTML = {"Accept": "text/html"}


class Site:
    """One platform, a web browser per person (each with its own cookies), and the API for clients."""

    def __init__(self, make_platform, sqlite_url, **settings):
        self.platform = seeded(make_platform(sqlite_url, **settings))
        self.app = create_app({"TESTING": True}, platform=self.platform)
        self.app.config["WTF_CSRF_ENABLED"] = True
        self.api = ApiHelper(self.app.test_client(), self.platform)

    def browser(self, email: str | None = None):
        web = self.app.test_client()
        if email:
            token = csrf(web.get("/login").get_data(as_text=True))
            signed = web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
            assert signed.status_code == 302, signed.get_data(as_text=True)
        return web

    def tasker(self, email: str, skills=None, regions=("springfield",)):
        tasker_id, _ = make_tasker(self.platform, email, skills or {"yard-work": 2400}, list(regions))
        return tasker_id, self.browser(email)

    def booked_task(self, client, **overrides) -> int:
        body = {"address": "12 Elm Street", "access_notes": "Key under the mat", "area": "Old Town", **overrides}
        task_id = self.api.post_task(client, **body).json["id"]
        self.api.price_pending()
        self.api.book(client, task_id)
        return task_id

    def task(self, task_id: int) -> Task:
        with self.platform.uow() as uow:
            return uow.session.get_one(Task, task_id)


@pytest.fixture
def site(make_platform, sqlite_url):
    """Every tier sees a task at once, and a task booked years ahead may be started and completed now."""
    return Site(
        make_platform,
        sqlite_url,
        priority_window=NO_WINDOW,
        start_early_s=YEARS,
        completion_tolerance_s=YEARS,
    )


def page(web, path: str) -> str:
    answer = web.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def post(web, path: str, form_page: str, **data):
    """Send a form as a browser does: with the CSRF token of the page it is on (any form's, the
    header's sign-out one included: a session has one token)."""
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form_page).group(1)
    return web.post(path, data={"csrf_token": token, **data})


def flashes(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<p class="flash" role="status">(.*?)</p>', html, re.S)]


def test_a_tasker_finds_accepts_works_and_completes_a_task_on_the_web(site):
    client = site.api.signup("client")
    task_id = site.booked_task(client)
    tasker_id, tess = site.tasker("tess@example.test")

    feed = page(tess, "/feed")
    assert f'data-task="{task_id}"' in feed and "Rake the leaves" in feed and "Old Town" in feed
    assert "Yard work in Springfield" in feed and "Pays you" in feed and "CDT" in feed  # the region's clock
    assert 'data-client-rating="none"' in feed and "no reviews yet" in feed  # never a made-up 4.0
    assert "12 Elm Street" not in feed and "Key under the mat" not in feed  # private until accepted
    assert f'action="/work/{task_id}/accept"' in feed

    # Before accepting, the task's page shows its public side and the Accept button.
    before = page(tess, f"/work/{task_id}")
    assert "Accept" in before and "12 Elm Street" not in before and "Give the task back" not in before

    # The Accept button's form, as the feed renders it.
    accepted = post(tess, f"/work/{task_id}/accept", feed)
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith(f"/work/{task_id}")
    held = page(tess, f"/work/{task_id}")
    assert "Accepted: the task is yours." in " ".join(flashes(held))
    assert 'data-private="address">12 Elm Street' in held and "Key under the mat" in held
    assert "Start the task" in held and "Give the task back" in held and 'data-status="accepted"' in held
    assert site.task(task_id).tasker_id == tasker_id
    mine = page(tess, "/work")
    assert f'data-task="{task_id}"' in mine and 'data-held="1"' in mine
    assert f'data-task="{task_id}"' not in page(tess, "/feed")  # taken: out of the feed

    started = post(tess, f"/work/{task_id}/start", held)
    assert started.status_code == 303
    held = page(tess, f"/work/{task_id}")
    assert 'data-status="in_progress"' in held and "Complete the task" in held

    # The conversation: the tasker writes, the client reads it on their task page.
    sent = post(tess, f"/work/{task_id}/messages", held, body="On my way, see you at nine.")
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/work/{task_id}#conversation")
    casey = site.browser(client["email"])
    theirs = page(casey, f"/tasks/{task_id}")
    assert "On my way, see you at nine." in theirs
    assert post(casey, f"/tasks/{task_id}/messages", theirs, body="The gate sticks.").status_code == 302
    assert f'data-unread-task="{task_id}"' in page(tess, "/work")  # waiting for her
    assert "The gate sticks." in page(tess, f"/work/{task_id}")  # read now
    assert f'data-unread-task="{task_id}"' not in page(tess, "/work")
    empty = post(tess, f"/work/{task_id}/messages", held, body="")
    assert empty.status_code == 422 and 'id="body-error"' in empty.get_data(as_text=True)

    # Bad minutes come back with the field's error, and nothing is completed.
    for bad in ("", "abc", "0", "100000"):
        refused = post(tess, f"/work/{task_id}/complete", held, minutes_worked=bad)
        assert refused.status_code == 422 and 'id="minutes_worked-error"' in refused.get_data(as_text=True), bad
    assert site.task(task_id).status == "in_progress"
    done = post(tess, f"/work/{task_id}/complete", held, minutes_worked="95")
    assert done.status_code == 303
    held = page(tess, f"/work/{task_id}")
    assert 'data-status="completed"' in held and "Completed." in " ".join(flashes(held))
    assert "data-final-payout=" in held and "Review the client" in held
    task = site.task(task_id)
    assert task.status == "completed" and task.minutes_worked == 95

    bad_review = post(tess, f"/work/{task_id}/review", held, rating="9")
    assert bad_review.status_code == 422 and 'id="rating-error"' in bad_review.get_data(as_text=True)
    reviewed = post(tess, f"/work/{task_id}/review", held, rating="4", comment="Clear brief")
    assert reviewed.status_code == 303
    assert 'data-review="mine">Yours: ★★★★ Clear brief' in page(tess, f"/work/{task_id}")
    assert f'data-task="{task_id}"' in page(tess, "/work").split("Recently completed")[1]

    # The client books Tess again: the rebooking is hers alone, with Accept and Decline.
    again = site.booked_task(client, addressed_to=tasker_id)
    feed = page(tess, "/feed")
    assert f'data-task="{again}"' in feed and "booked you again" in feed and f"/work/{again}/decline" in feed
    assert 'data-rebookings="1"' in page(tess, "/work")
    declined = post(tess, f"/work/{again}/decline", feed)
    assert declined.status_code == 303 and "Declined" in " ".join(flashes(page(tess, "/work")))
    assert site.task(again).addressed_to_id is None  # open to every tasker now


def test_only_the_holder_sees_and_acts_on_a_held_task(site):
    client = site.api.signup("client")
    task_id = site.booked_task(client)
    _, tess = site.tasker("tess@example.test")
    otto_id, otto = site.tasker("otto@example.test")
    assert post(tess, f"/work/{task_id}/accept", page(tess, "/feed")).status_code == 303

    other_page = page(otto, "/feed")
    assert f'data-task="{task_id}"' not in other_page
    assert otto.get(f"/work/{task_id}", headers=HTML).status_code == 404
    assert otto.get(f"/work/{task_id}/status", headers=HTML).status_code == 404
    for action, data in (
        ("start", {}),
        ("complete", {"minutes_worked": "30"}),
        ("give-back", {}),
        ("messages", {"body": "hello"}),
        ("handoff", {"tasker_ids": "1"}),
        ("review", {"rating": "1"}),
        ("decline", {}),
    ):
        refused = post(otto, f"/work/{task_id}/{action}", other_page, **data)
        assert refused.status_code == 404, action
        assert "12 Elm Street" not in refused.get_data(as_text=True)
    taken = post(otto, f"/work/{task_id}/accept", other_page)  # too late: someone has it
    assert taken.status_code == 303 and taken.headers["Location"].endswith("/feed")
    assert "no longer open" in " ".join(flashes(page(otto, "/feed")))
    task = site.task(task_id)
    assert task.status == "accepted" and task.tasker_id != otto_id  # untouched
    # A form without its CSRF token is refused.
    assert tess.post(f"/work/{task_id}/start", data={}).status_code == 400

    # Roles: a client has no feed; a signed-out visitor is sent to sign in and back.
    casey = site.browser(client["email"])
    for path in ("/feed", "/work", f"/work/{task_id}"):
        assert casey.get(path, headers=HTML).status_code == 403, path
    anonymous = site.browser()
    for path in ("/feed", "/work", f"/work/{task_id}", f"/work/{task_id}/status"):
        answer = anonymous.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/login?next={path}")
    # A tasker following a link to /tasks/<id> (an email's) lands on their side of it.
    moved = tess.get(f"/tasks/{task_id}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/work/{task_id}")
    assert otto.get(f"/tasks/{task_id}", follow_redirects=True, headers=HTML).status_code == 404


def test_giving_back_and_handing_off(site):
    client = site.api.signup("client")
    kept, handed = site.booked_task(client), site.booked_task(client)
    _, tess = site.tasker("tess@example.test")
    peer_id, pia = site.tasker("pia@example.test")
    feed = page(tess, "/feed")
    for task_id in (kept, handed):
        assert post(tess, f"/work/{task_id}/accept", feed).status_code == 303

    held = page(tess, f"/work/{kept}")
    back = post(tess, f"/work/{kept}/give-back", held, reason="I am ill")
    assert back.status_code == 303 and back.headers["Location"].endswith("/work")
    assert "Given back" in " ".join(flashes(page(tess, "/work")))
    assert site.task(kept).status == "priced" and site.task(kept).tasker_id is None
    assert f'data-task="{kept}"' in page(pia, "/feed")  # on offer again

    held = page(tess, f"/work/{handed}")
    assert "Hand it to a peer" in held and f'value="{peer_id}"' in held  # an eligible peer to choose
    nobody = post(tess, f"/work/{handed}/handoff", held, note="Can't make it")
    assert nobody.status_code == 422 and "Choose at least one tasker." in nobody.get_data(as_text=True)
    stranger = post(tess, f"/work/{handed}/handoff", held, tasker_ids="999999")
    assert stranger.status_code == 422 and 'id="tasker_ids-error"' in stranger.get_data(as_text=True)
    offered = post(tess, f"/work/{handed}/handoff", held, tasker_ids=str(peer_id), note="Can't make it")
    assert offered.status_code == 303
    held = page(tess, f"/work/{handed}")
    assert "Offered to 1 tasker" in " ".join(flashes(held)) and 'data-offer-status="open"' in held
    offer_id = re.search(r'data-offer="(\d+)"', held).group(1)
    # The peer sees the task as offered to them, with the way to the offer.
    theirs = page(pia, f"/work/{handed}")
    assert f'data-offered="{offer_id}"' in theirs and f"/handoffs/{offer_id}" in theirs
    assert "12 Elm Street" not in theirs
    assert site.task(handed).tasker_id != peer_id  # still Tess's until Pia accepts


def test_an_empty_feed_says_why(site):
    with site.platform.uow() as uow:
        create_user(uow.session, "nora@example.test", PASSWORD, "tasker")
        uow.commit()
    nora = site.browser("nora@example.test")
    feed = page(nora, "/feed")
    assert 'data-feed-empty="setup"' in feed and "no skills and no regions" in feed and "/me/skills" in feed
    _, tess = site.tasker("tess@example.test")
    feed = page(tess, "/feed")
    assert 'data-feed-empty="none"' in feed and "No task is open to you right now" in feed


def test_before_the_window_a_tasker_is_told_when_the_task_opens(make_platform, sqlite_url):
    """The default windows: elite at once, trusted after 60 s, newcomers after 180 s."""
    site = Site(make_platform, sqlite_url)
    client = site.api.signup("client")
    task_id = site.booked_task(client)
    _, nina = site.tasker("nina@example.test")
    feed = page(nina, "/feed")
    assert f'data-task="{task_id}"' not in feed and 'data-feed-empty="waiting"' in feed
    assert f'data-opens="{task_id}"' in feed and "opening to you at <time" in feed
    assert "(shown to higher tiers first)" in feed
    assert nina.get(f"/work/{task_id}", headers=HTML).status_code == 404  # no early sight of its details
    early = post(nina, f"/work/{task_id}/accept", feed)
    assert early.status_code == 303 and early.headers["Location"].endswith("/feed")
    [said] = flashes(page(nina, "/feed"))
    assert re.search(r"opens to you at \d{4}-\d\d-\d\d \d\d:\d\d C[DS]T", said), said
    assert site.task(task_id).status == "priced"


def test_the_tier_note_only_when_a_higher_tier_sees_the_task_sooner(make_platform, sqlite_url):
    site = Site(make_platform, sqlite_url, priority_window=(("elite", 120), ("trusted", 120), ("newcomer", 120)))
    client = site.api.signup("client")
    task_id = site.booked_task(client)
    _, nina = site.tasker("nina@example.test")
    feed = page(nina, "/feed")
    assert f'data-opens="{task_id}"' in feed and "opening to you at" in feed
    assert "higher tiers" not in feed and "Every tasker sees a new task a while after it is priced." in feed
    early = post(nina, f"/work/{task_id}/accept", feed)
    [said] = flashes(page(nina, early.headers["Location"]))
    assert "opens to you at" in said and "higher tiers" not in said


def test_no_tier_note_for_the_top_tier(make_platform, sqlite_url):
    """Even elite taskers wait 60 s here: nobody above them sees the task sooner."""
    site = Site(make_platform, sqlite_url, priority_window=(("elite", 60), ("trusted", 120), ("newcomer", 180)))
    client = site.api.signup("client")
    task_id = site.booked_task(client)
    elite_id, elle = site.tasker("elle@example.test")
    _, nina = site.tasker("nina@example.test")
    with site.platform.uow() as uow:
        uow.session.add(Reputation(tasker_id=elite_id, category="yard-work", score=90, tier="elite"))
        uow.commit()
    top = page(elle, "/feed")
    assert f'data-opens="{task_id}"' in top and "higher tiers" not in top
    newcomer = page(nina, "/feed")
    assert f'data-opens="{task_id}"' in newcomer and "(shown to higher tiers first)" in newcomer


def test_completing_beyond_the_booking_is_a_claim_with_a_reason(site):
    client = site.api.signup("client")
    task_id = site.booked_task(client)
    _, tess = site.tasker("tess@example.test")
    feed = page(tess, "/feed")
    post(tess, f"/work/{task_id}/accept", feed)
    post(tess, f"/work/{task_id}/start", feed)
    held = page(tess, f"/work/{task_id}")
    long = post(tess, f"/work/{task_id}/complete", held, minutes_worked="300", reason="x" * 501)
    assert long.status_code == 422 and 'id="reason-error"' in long.get_data(as_text=True)
    claimed = post(tess, f"/work/{task_id}/complete", held, minutes_worked="300", reason="Two oaks, not one")
    assert claimed.status_code == 303
    held = page(tess, f"/work/{task_id}")
    assert "more than the client booked" in " ".join(flashes(held)) and 'data-claim="pending"' in held
    assert site.task(task_id).status == "awaiting_approval"
    assert "Two oaks, not one" in page(site.browser(client["email"]), f"/tasks/{task_id}")


CHROMIUM = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def fits(browser_page) -> None:
    """No sideways page scroll at this width."""
    width = browser_page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], (browser_page.url, width)


def test_on_a_phone_a_tasker_accepts_reads_the_client_live_and_completes(site):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is required at {CHROMIUM}: run the suite with `make test`, which installs it")
    client = site.api.signup("client")
    task_id = site.booked_task(client, title="Rake the leaves in the long back garden by the old oak tree")
    site.tasker("tess@example.test")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(site.app) as base, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            tab = chromium.new_page(viewport={"width": 390, "height": 844})
            tab.goto(f"{base}/feed")  # signed out: to the sign-in page, and back
            tab.get_by_label("Email").fill("tess@example.test")
            tab.get_by_label("Password").fill(PASSWORD)
            tab.get_by_role("button", name="Sign in").click()
            card = tab.locator(f'[data-task="{task_id}"]')
            expect(card).to_contain_text("no reviews yet")
            fits(tab)
            tab.screenshot(path=str(ARTIFACTS / "tasker-feed-390.png"), full_page=True)
            card.get_by_role("button", name="Accept").click()
            tab.wait_for_url(f"{base}/work/{task_id}")
            expect(tab.locator('[data-private="address"]')).to_have_text("12 Elm Street")
            fits(tab)
            tab.get_by_role("button", name="Start the task").click()
            expect(tab.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
            # The client writes; the tasker's open page shows it without a reload.
            said = site.api.client.post(
                f"/api/v1/tasks/{task_id}/messages",
                json={"body": "The gate sticks: lift it."},
                headers=site.api.headers(client),
            )
            assert said.status_code == 201, said.json
            expect(tab.locator("#conversation")).to_contain_text("The gate sticks: lift it.", timeout=30_000)
            fits(tab)
            tab.screenshot(path=str(ARTIFACTS / "tasker-work-390.png"), full_page=True)
            tab.get_by_label("Minutes worked").fill("90")
            tab.get_by_role("button", name="Complete the task").click()
            expect(tab.locator("[data-status]")).to_have_attribute("data-status", "completed")
            expect(tab.get_by_role("heading", name="Review the client")).to_be_visible()
            fits(tab)
            tab.goto(f"{base}/work")
            expect(tab.locator(f'[data-task="{task_id}"]')).to_be_visible()
            fits(tab)
        finally:
            chromium.close()


WEIRD = ["", " ", "0", "-1", "1e999", "NaN", "99999999999999999999", "\u2028", "x" * 5000, "//evil.example", "5", "on"]
FORMS = {  # action -> the fields its form has
    "accept": [],
    "start": [],
    "complete": ["minutes_worked", "reason"],
    "give-back": ["reason"],
    "decline": [],
    "messages": ["body"],
    "handoff": ["tasker_ids", "note"],
    "review": ["rating", "comment"],
}


@pytest.mark.parametrize("action", sorted(FORMS))
def test_no_work_form_input_answers_5xx(site, action):
    client = site.api.signup("client")
    task_id = site.booked_task(client)
    peer_id, _ = site.tasker("pia@example.test")
    _, tess = site.tasker("tess@example.test")
    feed = page(tess, "/feed")
    assert post(tess, f"/work/{task_id}/accept", feed).status_code == 303
    if action in ("complete", "review"):
        assert post(tess, f"/work/{task_id}/start", feed).status_code == 303
    if action == "review":
        assert post(tess, f"/work/{task_id}/complete", feed, minutes_worked="60").status_code == 303
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', feed).group(1)
    value = st.one_of(st.sampled_from([*WEIRD, str(peer_id)]), st.text(max_size=40))

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fields=st.fixed_dictionaries({}, optional={name: value for name in FORMS[action]}))
    def check(fields):
        answer = tess.post(f"/work/{task_id}/{action}", data={**fields, "csrf_token": token}, headers=HTML)
        assert answer.status_code < 500, (action, fields, answer.status_code)
        if answer.status_code in (302, 303):
            assert urlsplit(answer.headers["Location"]).netloc in ("", "localhost"), answer.headers["Location"]

    check()
