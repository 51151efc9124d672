"""The tasker's network on the web, with CSRF: a hand-off offer taken from the page an emailed
link lands on (after sign-in), declined, withdrawn, lapsed or refused; connections requested,
accepted, declined, removed, blocked and unblocked from /network and from a profile; endorsements
given and withdrawn. Someone else's offer is a 404, a client gets 403, and bad form input a 4xx.

Over 400 lines on purpose: one feature, the network's pages; its three parts (offers, connections,
endorsements) share the signed-in people and steps at its top."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect, sync_playwright

from api import create_app
from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.community.models import Reputation
from marketplace.network.connections import accept_connection, request_connection
from marketplace.network.handoffs import offer_handoff
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import NO_WINDOW, UNLIMITED, Pipeline, book, csrf, live_server, pass_two_factor, seeded

PASSWORD = "a long web password"
START = datetime(2031, 5, 1, 14, tzinfo=UTC)  # 09:00 CDT in Springfield


@pytest.fixture
def world(make_platform, sqlite_url):
    """Ann, Bob and Cleo (taskers who do yard work in Springfield), a client, and an app with CSRF on."""
    platform = seeded(make_platform(sqlite_url, priority_window=NO_WINDOW))
    ids = {}
    with platform.uow() as uow:
        for name, role in (("ann", "tasker"), ("bob", "tasker"), ("cleo", "tasker"), ("casey", "client")):
            user = create_user(uow.session, f"{name}@example.test", PASSWORD, role, name.title())
            ids[name] = user.id
            if role == "tasker":
                set_skills(uow, user.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        uow.commit()
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, **UNLIMITED}, platform=platform)
    return app, platform, ids


def signed_in(app, name: str):
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    r = web.post("/login", data={"email": f"{name}@example.test", "password": PASSWORD, "csrf_token": token})
    r = pass_two_factor(web, r)  # an operator's second step
    assert r.status_code == 302, r.get_data(as_text=True)
    return web, csrf(web.get("/login").get_data(as_text=True))  # signing in starts a new session


def connect(platform, a: int, b: int) -> None:
    with platform.uow() as uow:
        request_connection(uow, uow.session.get_one(User, a), b)
        accept_connection(uow, uow.session.get_one(User, b), a)
        uow.commit()


def held_task(platform, client_id: int, holder_id: int, title: str = "Rake the leaves") -> int:
    """A priced, booked task that `holder_id` accepted."""
    with platform.uow() as uow:
        draft = TaskDraft(
            category="yard-work",
            region="springfield",
            title=title,
            description="Front and back.",
            estimated_minutes=60,
            starts_at=START,
            area="Old Town",
            address="12 Elm St",
            access_notes="Gate code 4321",
        )
        task_id = post_task(uow, client_id, draft).id
        uow.commit()
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    book(platform, task_id)
    with platform.uow() as uow:
        accept_task(uow, uow.session.get_one(User, holder_id), task_id, NO_WINDOW)
        uow.commit()
    return task_id


def offer(platform, task_id: int, holder_id: int, peers: list[int], ttl=timedelta(hours=6), note="I'm ill") -> list:
    with platform.uow() as uow:
        made = offer_handoff(uow, uow.session.get_one(User, holder_id), task_id, peers, note, NO_WINDOW, ttl)
        uow.commit()
        return [o.id for o in made]


def holder(platform, task_id: int) -> int | None:
    with platform.uow() as uow:
        return uow.session.get_one(Task, task_id).tasker_id


def test_an_offer_is_taken_from_its_page_after_sign_in(world):
    app, platform, ids = world
    connect(platform, ids["ann"], ids["bob"])
    task_id = held_task(platform, ids["casey"], ids["ann"])
    [offer_id] = offer(platform, task_id, ids["ann"], [ids["bob"]])

    # The emailed link, opened signed out: sign in, and land back on the offer.
    bob = app.test_client()
    r = bob.get(f"/handoffs/{offer_id}")
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login"
    login_url = r.headers["Location"]
    token = csrf(bob.get(login_url).get_data(as_text=True))
    r = bob.post(login_url, data={"email": "bob@example.test", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == f"/handoffs/{offer_id}"
    page = bob.get(r.headers["Location"]).get_data(as_text=True)
    assert "Rake the leaves" in page and "Offered to you by" in page and "Ann" in page and "“I&#39;m ill”" in page
    assert 'data-offer-status="open"' in page and "Accept the task" in page and "Decline" in page
    assert "Old Town" in page and "Front and back." in page and "data-payout=" in page
    assert "CDT" in page  # the start and the deadline on Springfield's clock
    assert "12 Elm St" not in page and "4321" not in page  # private until Bob holds the task
    listing = bob.get("/handoffs").get_data(as_text=True)
    assert f'data-offer="{offer_id}" data-offer-status="open"' in listing and "Answer by" in listing
    token = csrf(page)

    # Cleo is neither side of it: no page, no taking it.
    cleo, cleo_token = signed_in(app, "cleo")
    assert cleo.get(f"/handoffs/{offer_id}").status_code == 404
    assert cleo.post(f"/handoffs/{offer_id}/accept", data={"csrf_token": cleo_token}).status_code == 404
    assert cleo.post(f"/handoffs/{offer_id}/withdraw", data={"csrf_token": cleo_token}).status_code == 404
    assert holder(platform, task_id) == ids["ann"]

    # Ann, who offered it, sees it with Withdraw; Bob may not withdraw it.
    ann, ann_token = signed_in(app, "ann")
    sent = ann.get(f"/handoffs/{offer_id}").get_data(as_text=True)
    assert "You offered it to" in sent and "Withdraw the offer" in sent and "Accept the task" not in sent
    assert bob.post(f"/handoffs/{offer_id}/withdraw", data={"csrf_token": token}).status_code == 404

    # No CSRF token: nothing happens.
    assert bob.post(f"/handoffs/{offer_id}/accept", data={}).status_code == 400
    assert holder(platform, task_id) == ids["ann"]
    r = bob.post(f"/handoffs/{offer_id}/accept", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == f"/work/{task_id}"
    assert holder(platform, task_id) == ids["bob"]
    taken = bob.get(f"/handoffs/{offer_id}").get_data(as_text=True)
    assert "You took this task." in taken and f'data-work-link href="/work/{task_id}"' in taken
    again = bob.post(f"/handoffs/{offer_id}/accept", data={"csrf_token": token}, follow_redirects=True)
    assert again.status_code == 200 and "This offer is no longer open: it was accepted." in again.get_data(as_text=True)
    outgoing = ann.get("/handoffs").get_data(as_text=True)
    assert 'data-offer-status="accepted"' in outgoing and "Taken" in outgoing

    # Clients have no hand-offs or network.
    casey, _ = signed_in(app, "casey")
    assert casey.get("/handoffs").status_code == 403 and casey.get("/network").status_code == 403
    assert casey.get(f"/handoffs/{offer_id}").status_code == 403
    assert ann.get("/handoffs/99999999999999999999").status_code == 404


def test_decline_withdraw_lapse_and_an_offer_that_is_no_longer_for_you(world):
    app, platform, ids = world
    task_id = held_task(platform, ids["casey"], ids["ann"])
    to_bob, to_cleo = offer(platform, task_id, ids["ann"], [ids["bob"], ids["cleo"]])
    bob, token = signed_in(app, "bob")

    # Bad input: the form again with the field's error; no token: 400. Nothing is declined.
    r = bob.post(f"/handoffs/{to_bob}/decline", data={"reason": "r" * 301, "csrf_token": token})
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    r = bob.post(f"/handoffs/{to_bob}/decline", data={"reason": "Busy\nthat day", "csrf_token": token})
    assert r.status_code == 422 and "Must be one line" in r.get_data(as_text=True)
    assert bob.post(f"/handoffs/{to_bob}/decline", data={"reason": "Busy"}).status_code == 400
    assert 'data-offer-status="open"' in bob.get(f"/handoffs/{to_bob}").get_data(as_text=True)

    r = bob.post(f"/handoffs/{to_bob}/decline", data={"reason": "Booked that morning", "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == f"/handoffs/{to_bob}"
    page = bob.get(f"/handoffs/{to_bob}").get_data(as_text=True)
    assert "Declined. The tasker who offered it is told." in page and 'data-offer-status="declined"' in page
    assert "Accept the task" not in page
    ann, ann_token = signed_in(app, "ann")
    assert "“Booked that morning”" in ann.get("/handoffs").get_data(as_text=True)

    # Ann withdraws the offer to Cleo; Cleo's button then says so.
    r = ann.post(f"/handoffs/{to_cleo}/withdraw", data={"csrf_token": ann_token}, follow_redirects=True)
    assert "Withdrawn: the offer is closed." in r.get_data(as_text=True)
    cleo, cleo_token = signed_in(app, "cleo")
    assert 'data-offer-status="withdrawn"' in cleo.get(f"/handoffs/{to_cleo}").get_data(as_text=True)
    r = cleo.post(f"/handoffs/{to_cleo}/accept", data={"csrf_token": cleo_token}, follow_redirects=True)
    assert "This offer is no longer open: it was withdrawn." in r.get_data(as_text=True)
    assert holder(platform, task_id) == ids["ann"]

    # An offer past its time has lapsed, even before the sweep closes it.
    [lapsing] = offer(platform, task_id, ids["ann"], [ids["bob"]], ttl=timedelta(milliseconds=1))
    page = bob.get(f"/handoffs/{lapsing}").get_data(as_text=True)
    assert 'data-offer-status="lapsed"' in page and "nobody answered by" in page and "Accept the task" not in page
    r = bob.post(f"/handoffs/{lapsing}/accept", data={"csrf_token": token}, follow_redirects=True)
    assert re.search(r"This offer lapsed at \d{4}-\d\d-\d\d \d\d:\d\d C[DS]T\.", r.get_data(as_text=True))
    assert holder(platform, task_id) == ids["ann"]

    # Cleo stops working in Springfield: the offer says she could not take it, and taking it is refused.
    [to_cleo] = offer(platform, task_id, ids["ann"], [ids["cleo"]])
    with platform.uow() as uow:
        set_skills(uow, ids["cleo"], ["seattle"], [SkillSpec("yard-work", 2800)])
        uow.commit()
    page = cleo.get(f"/handoffs/{to_cleo}").get_data(as_text=True)
    assert "data-why-not" in page and "this task is not open to you" in page
    r = cleo.post(f"/handoffs/{to_cleo}/accept", data={"csrf_token": cleo_token}, follow_redirects=True)
    assert r.status_code == 200 and f"You cannot take task {task_id} now: this task is not open to you" in r.get_data(
        as_text=True
    )
    assert holder(platform, task_id) == ids["ann"]


def test_connections_from_the_network_page_and_a_profile(world):
    app, platform, ids = world
    ann, token = signed_in(app, "ann")
    bob_page = f"/taskers/{ids['bob']}"
    assert 'data-standing="none"' in ann.get(bob_page).get_data(as_text=True)
    assert ann.post(f"/network/{ids['bob']}/connect", data={"next": bob_page}).status_code == 400  # no token
    r = ann.post(f"/network/{ids['bob']}/connect", data={"next": bob_page, "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == bob_page
    page = ann.get(bob_page).get_data(as_text=True)
    assert "Request sent" in page and 'data-standing="requested"' in page and "Take back the request" in page
    assert f'data-request-to="{ids["bob"]}"' in ann.get("/network").get_data(as_text=True)
    again = ann.post(f"/network/{ids['bob']}/connect", data={"csrf_token": token}, follow_redirects=True)
    assert "You have already asked tasker" in again.get_data(as_text=True)

    bob, bob_token = signed_in(app, "bob")
    assert "Accept their request" in bob.get(f"/taskers/{ids['ann']}").get_data(as_text=True)
    network = bob.get("/network").get_data(as_text=True)
    assert f'data-request-from="{ids["ann"]}"' in network and 'id="requests"' in network
    r = bob.post(f"/network/{ids['ann']}/accept", data={"next": "/network#requests", "csrf_token": bob_token})
    assert r.status_code == 303 and r.headers["Location"] == "/network#requests"
    network = bob.get("/network").get_data(as_text=True)
    assert "You are now connected with Ann." in network and f'data-connection="{ids["ann"]}"' in network
    assert 'data-standing="connected"' in ann.get(bob_page).get_data(as_text=True)

    # Cleo asks Ann; Ann declines from her network page.
    cleo, cleo_token = signed_in(app, "cleo")
    cleo.post(f"/network/{ids['ann']}/connect", data={"csrf_token": cleo_token})
    r = ann.post(f"/network/{ids['cleo']}/decline", data={"csrf_token": token}, follow_redirects=True)
    assert "Declined Cleo&#39;s request." in r.get_data(as_text=True)
    assert f'data-request-from="{ids["cleo"]}"' not in ann.get("/network").get_data(as_text=True)

    # Ann removes Bob, then blocks Cleo from Cleo's profile; Cleo cannot ask her then.
    r = ann.post(f"/network/{ids['bob']}/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "You and Bob are no longer connected" in r.get_data(as_text=True)
    assert f'data-connection="{ids["bob"]}"' not in ann.get("/network").get_data(as_text=True)
    cleo_page = f"/taskers/{ids['cleo']}"
    r = ann.post(f"/network/{ids['cleo']}/block", data={"next": cleo_page, "csrf_token": token}, follow_redirects=True)
    assert "Blocked Cleo" in r.get_data(as_text=True) and 'data-standing="blocked"' in r.get_data(as_text=True)
    r = cleo.post(f"/network/{ids['ann']}/connect", data={"csrf_token": cleo_token}, follow_redirects=True)
    assert "You cannot connect with this tasker." in r.get_data(as_text=True)
    assert f'data-blocked="{ids["cleo"]}"' in ann.get("/network").get_data(as_text=True)
    r = ann.post(f"/network/{ids['cleo']}/unblock", data={"csrf_token": token}, follow_redirects=True)
    assert "Unblocked Cleo." in r.get_data(as_text=True) and 'data-blocked="' not in r.get_data(as_text=True)

    # Refusals in the domain's words; a next that leaves the site is ignored; a client is refused.
    for other, says in ((99999, "No tasker 99999."), (ids["casey"], f"No tasker {ids['casey']}."),
                        (ids["ann"], "You cannot connect with yourself.")):  # fmt: skip
        r = ann.post(f"/network/{other}/connect", data={"csrf_token": token, "next": "//evil.example/"})
        assert r.status_code == 303 and r.headers["Location"] == "/network"
        assert says in ann.get("/network").get_data(as_text=True)
    assert ann.post("/network/99999999999999999999/connect", data={"csrf_token": token}).status_code == 404
    casey, casey_token = signed_in(app, "casey")
    assert casey.post(f"/network/{ids['ann']}/connect", data={"csrf_token": casey_token}).status_code == 403
    assert "data-standing" not in casey.get(bob_page).get_data(as_text=True)
    assert "data-standing" not in app.test_client().get(bob_page).get_data(as_text=True)


def test_endorse_from_a_profile_and_withdraw(world):
    app, platform, ids = world
    connect(platform, ids["ann"], ids["bob"])
    with platform.uow() as uow:
        uow.session.add(Reputation(tasker_id=ids["ann"], category="yard-work", completed=3, accepted=3))
        uow.commit()
    bob_page = f"/taskers/{ids['bob']}"
    ann, token = signed_in(app, "ann")
    page = ann.get(bob_page).get_data(as_text=True)
    assert "Endorse Bob" in page and '<option value="yard-work">' in page
    cleo, cleo_token = signed_in(app, "cleo")
    assert "Endorse Bob" not in cleo.get(bob_page).get_data(as_text=True)  # not connected

    # Bad input: the profile again, with the field's error.
    for data, error in (
        ({"category": "yard-work", "text": ""}, 'id="text-error"'),
        ({"category": "yard-work", "text": "x" * 501}, 'id="text-error"'),
        ({"category": "Yard Work!", "text": "Careful"}, 'id="category-error"'),
        ({"text": "Careful"}, 'id="category-error"'),
    ):
        r = ann.post(f"{bob_page}/endorse", data={**data, "csrf_token": token})
        assert r.status_code == 422 and error in r.get_data(as_text=True), data
    r = ann.post(f"{bob_page}/endorse", data={"category": "yard-work", "text": "Careful"})
    assert 400 <= r.status_code < 500  # no CSRF token
    # A refusal of the domain's, in its words.
    r = ann.post(f"{bob_page}/endorse", data={"category": "mounting", "text": "Steady", "csrf_token": token})
    assert r.status_code == 303
    assert "once you have completed 3 tasks in it (you have 0)" in ann.get(bob_page).get_data(as_text=True)
    r = ann.post(f"/taskers/{ids['ann']}/endorse", data={"category": "yard-work", "text": "Me", "csrf_token": token})
    assert r.status_code == 303 and "You cannot endorse yourself." in ann.get("/network").get_data(as_text=True)

    good = {"category": "yard-work", "text": "Careful with roots", "csrf_token": token}
    r = ann.post(f"{bob_page}/endorse", data=good)
    assert r.status_code == 303 and r.headers["Location"] == f"{bob_page}#endorsements"
    page = ann.get(bob_page).get_data(as_text=True)
    assert "Your endorsement is on their profile." in page and "“Careful with roots”" in page
    assert "Withdraw yours" in page and "data-endorse-hint" in page and '<option value="yard-work">' not in page
    r = ann.post(f"{bob_page}/endorse", data={"category": "yard-work", "text": "Again", "csrf_token": token})
    assert r.status_code == 303 and "You already endorse tasker" in ann.get(bob_page).get_data(as_text=True)

    bob, _ = signed_in(app, "bob")
    assert "Careful with roots" in bob.get("/network").get_data(as_text=True).split('id="endorsements"')[1]
    given = ann.get("/network").get_data(as_text=True)
    endorsement_id = int(given.split('data-endorsement-given="')[1].split('"')[0])
    assert cleo.post(f"/endorsements/{endorsement_id}/withdraw", data={"csrf_token": cleo_token}).status_code == 404
    assert ann.post(f"/endorsements/{endorsement_id}/withdraw", data={}).status_code == 400
    r = ann.post(f"/endorsements/{endorsement_id}/withdraw", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == "/network#endorsements"
    assert "Careful with roots" not in app.test_client().get(bob_page).get_data(as_text=True)
    given = ann.get("/network").get_data(as_text=True)
    assert "Withdrawn: it no longer shows on their profile." in given and "· withdrawn" in given
    r = ann.post(f"/endorsements/{endorsement_id}/withdraw", data={"csrf_token": token}, follow_redirects=True)
    assert "This endorsement is no longer active." in r.get_data(as_text=True)


FORMS = {  # a path of this module's forms -> the fields it reads
    "/handoffs/{offer}/accept": [],
    "/handoffs/{offer}/decline": ["reason"],
    "/handoffs/{offer}/withdraw": [],
    "/network/{bob}/connect": ["next"],
    "/network/{bob}/block": ["next"],
    "/taskers/{bob}/endorse": ["category", "text"],
    "/endorsements/1/withdraw": ["next"],
}
WEIRD = ["", " ", "0", "-1", "1e999", "NaN", "\x00", "\u2028", "x" * 5000, "//evil.example", "/\t/evil", "yard-work"]


@pytest.mark.parametrize("path", sorted(FORMS))
def test_no_form_input_answers_5xx(world, path):
    app, platform, ids = world
    connect(platform, ids["ann"], ids["bob"])
    task_id = held_task(platform, ids["casey"], ids["ann"])
    [offer_id] = offer(platform, task_id, ids["ann"], [ids["bob"]])
    web, token = signed_in(app, "bob" if path.startswith("/handoffs") else "ann")
    url = path.format(offer=offer_id, bob=ids["bob"])
    value = st.one_of(st.sampled_from(WEIRD), st.text(max_size=40))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fields=st.fixed_dictionaries({}, optional={name: value for name in FORMS[path]}))
    def check(fields):
        r = web.post(url, data={**fields, "csrf_token": token}, headers={"Accept": "text/html"})
        assert r.status_code < 500, (url, fields, r.status_code)
        if r.status_code in (302, 303):
            assert urlsplit(r.headers["Location"]).netloc in ("", "localhost"), r.headers["Location"]

    check()


CHROMIUM = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def fits(page) -> None:
    """No horizontal page scroll at this width."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], (page.url, width)


def test_on_a_phone_an_offer_is_taken_and_a_tasker_asked_to_connect(world):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is required at {CHROMIUM}: run the suite with `make test`, which installs it")
    app, platform, ids = world
    connect(platform, ids["ann"], ids["bob"])
    task_id = held_task(platform, ids["casey"], ids["ann"])
    [offer_id] = offer(platform, task_id, ids["ann"], [ids["bob"]], note="Flu. Sorry!")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = chromium.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{base}/handoffs/{offer_id}")  # the link in Bob's email
            page.get_by_label("Email").fill("bob@example.test")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Rake the leaves")).to_be_visible()
            expect(page.get_by_text("“Flu. Sorry!”")).to_be_visible()
            fits(page)
            page.screenshot(path=str(ARTIFACTS / "handoff-offer-390.png"), full_page=True)
            page.get_by_role("button", name="Accept the task").click()
            page.wait_for_url(f"{base}/work/{task_id}")
            assert holder(platform, task_id) == ids["bob"]

            page.goto(f"{base}/handoffs")
            expect(page.locator(f'[data-offer="{offer_id}"]')).to_have_attribute("data-offer-status", "accepted")
            fits(page)
            page.goto(f"{base}/taskers/{ids['ann']}")
            expect(page.locator("[data-standing]")).to_have_attribute("data-standing", "connected")
            fits(page)
            page.goto(f"{base}/taskers/{ids['cleo']}")
            page.get_by_role("button", name="Connect").click()
            expect(page.get_by_role("status")).to_contain_text("Request sent")
            expect(page.locator("[data-standing]")).to_have_attribute("data-standing", "requested")
            fits(page)
            page.screenshot(path=str(ARTIFACTS / "tasker-profile-390.png"), full_page=True)
            page.goto(f"{base}/network")
            expect(page.locator(f'[data-connection="{ids["ann"]}"]')).to_be_visible()
            expect(page.locator(f'[data-request-to="{ids["cleo"]}"]')).to_be_visible()
            fits(page)
            page.screenshot(path=str(ARTIFACTS / "network-390.png"), full_page=True)
            page.locator(f'[data-request-to="{ids["cleo"]}"]').get_by_role("button", name="Take back").click()
            expect(page.get_by_role("status")).to_contain_text("no longer connected (or asking)")
            expect(page.locator(f'[data-request-to="{ids["cleo"]}"]')).to_have_count(0)
        finally:
            chromium.close()
