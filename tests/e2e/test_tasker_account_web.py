"""A tasker's own pages on the web (forms with CSRF): /me tells the truth about rates and leads to
every page; /me/skills sets regions, skills and rates per region, each change saying what it
changed and each refusal shown on its field; /me/earnings shows what each task paid and where the
money is, and starts Stripe onboarding towards this site's public address; /me/webhooks adds,
rotates, enables, deletes and redelivers. Role and ownership are checked; no input answers 5xx;
every page fits 390 px.

Over 400 lines on purpose: one feature, a tasker's own pages; its tests share a signed-in tasker and
its setup."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.floors.versions import FloorChange, set_floor
from marketplace.notifications.webhooks import WebhookDelivery, WebhookEndpoint
from marketplace.payments.models import PayoutAccount
from marketplace.payments.payouts import pay_outstanding
from marketplace.taskers.models import TaskerRegionRate
from marketplace.taskers.rates import raise_rates_to_floors
from marketplace.taskers.skills import SkillSpec, set_skills
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import ANY_TIME, NO_WINDOW, UNLIMITED, Pipeline, book, csrf, live_server, seeded

PASSWORD = "correct horse battery"


@pytest.fixture
def platform(make_platform, sqlite_url):
    return seeded(make_platform(sqlite_url, priority_window=NO_WINDOW, webhooks_allow_loopback=True))


@pytest.fixture
def people(platform):
    with platform.uow() as uow:
        made = {
            name: create_user(uow.session, f"{name}@example.test", PASSWORD, role, display_name=name.title()).id
            for name, role in (("rita", "tasker"), ("sam", "tasker"), ("casey", "client"))
        }
        set_skills(uow, made["rita"], ["springfield"], [SkillSpec("yard-work", 2400)])
        uow.commit()
    return made


def web_app(platform, **config):
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, **UNLIMITED, **config}, platform=platform)


def signed_in(app, email: str):
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    answer = web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302
    return web


@pytest.fixture
def rita(platform, people):
    return signed_in(web_app(platform), "rita@example.test")


def token_of(web, path: str) -> str:
    return csrf(web.get(path).get_data(as_text=True))


def flashes(web, response) -> list[str]:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    return [re.sub(r"\s+", " ", m) for m in re.findall(r'<p class="flash" role="status">(.*?)</p>', page, re.S)]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# /me ---------------------------------------------------------------------------------------------


def test_me_shows_the_rates_it_compares_and_leads_to_every_page(platform, people, rita):
    with platform.uow() as uow:  # the floor rises: rita's 24.00 is lifted to 26.00
        set_floor(uow, FloorChange("yard-work", "springfield", "review", {"hourly_floor": 2600}), None, "ops")
        raise_rates_to_floors(uow, utcnow() + timedelta(seconds=1))
        uow.commit()
    page = text(rita.get("/me"))
    assert "26.00 USD/h" in page and "raised from 24.00 USD/h because the floor rose" in page
    mounting = page.split('data-path="mounting"')[1].split("</section>")[0]
    assert "against 26.00 USD/h, your best rate there now: 12.00 USD/h more" in mounting
    assert "24.00 USD/h, your best rate" not in page
    for path in ("/feed", "/work", "/handoffs", "/network", "/me/skills", "/me/earnings", "/me/webhooks"):
        assert f'href="{path}"' in page, path
    assert 'href="/api/docs"' in page
    assert "POST /api/v1" not in page and "tasker_bot" not in page and "/api/v1/" not in page


def test_me_without_regions_asks_for_one(platform, people):
    with platform.uow() as uow:
        set_skills(uow, people["sam"], [], [SkillSpec("yard-work", 2400)])
        uow.commit()
    page = text(signed_in(web_app(platform), "sam@example.test").get("/me"))
    assert "data-no-regions" in page and "No floor in your regions yet" not in page
    assert 'href="/me/skills#regions"' in page and "Choose the regions you work in" in page


def test_me_is_for_taskers(platform, people):
    assert web_app(platform).test_client().get("/me").headers["Location"].startswith("/login?next=")
    assert signed_in(web_app(platform), "casey@example.test").get("/me").status_code == 403


# /me/skills ----------------------------------------------------------------------------------------


def test_adding_seattle_lifts_only_seattle_and_says_so(platform, people, rita):
    page = text(rita.get("/me/skills"))
    assert 'name="rate" inputmode="decimal" value="24.00"' in page and "floor 24.00 USD/h" in page
    token = token_of(rita, "/me/skills")
    said = flashes(
        rita,
        rita.post("/me/skills", data={"action": "regions", "regions": ["springfield", "seattle"], "csrf_token": token}),
    )
    assert "Added the region Seattle, WA." in said
    assert any("Yard work in Seattle, WA: 27.00 USD/h, the floor there" in line for line in said)
    page = text(rita.get("/me/skills"))
    seattle = page.split('data-region-rate="seattle"')[1].split("</div>")[0]
    assert "floor 27.00 USD/h" in seattle and "now 27.00 USD/h, raised from 24.00 USD/h" in seattle
    springfield = page.split('data-region-rate="springfield"')[1].split("</div>")[0]
    assert "now 24.00 USD/h" in springfield


def test_one_skill_changed_added_and_removed_each_say_what_they_did(platform, people, rita):
    token = token_of(rita, "/me/skills")
    regions = rita.post(
        "/me/skills", data={"action": "regions", "regions": ["springfield", "riverside"], "csrf_token": token}
    )
    assert flashes(rita, regions) == ["Added the region Riverside."]
    changed = rita.post(
        "/me/skills",
        data={"action": "skill", "category": "yard-work", "rate": "25", "rate-riverside": "28.50", "csrf_token": token},
    )
    assert flashes(rita, changed) == [
        "Yard work: 25.00 USD/h in your regions without a rate of their own, was 24.00 USD/h.",
        "Yard work in Riverside: 28.50 USD/h, was 24.00 USD/h.",
    ]
    with platform.uow() as uow:
        assert uow.session.get_one(TaskerRegionRate, (people["rita"], "yard-work", "riverside")).rate == 2850
    added = rita.post(
        "/me/skills", data={"action": "add", "category": "moving-help", "rate": "$26", "csrf_token": token}
    )
    assert flashes(rita, added) == ["Added Moving help at 26.00 USD/h."]
    removed = rita.post("/me/skills", data={"action": "remove", "category": "moving-help", "csrf_token": token})
    assert flashes(rita, removed) == ["Removed Moving help."]
    gone = rita.post("/me/skills", data={"action": "remove", "category": "moving-help", "csrf_token": token})
    assert gone.status_code == 404 and "Moving help is not one of your skills." in text(gone)


def test_refusals_are_shown_on_their_fields_and_keep_what_was_typed(platform, people, rita):
    token = token_of(rita, "/me/skills")
    rita.post("/me/skills", data={"action": "regions", "regions": ["springfield", "seattle"], "csrf_token": token})
    below = rita.post(
        "/me/skills",
        data={
            "action": "skill",
            "category": "yard-work",
            "rate": "23.00",
            "rate-seattle": "26.99",
            "csrf_token": token,
        },
    )
    page = text(below)
    assert below.status_code == 422
    assert 'id="skill-yard-work-rate-error">23.00 USD/h is below the floor of 24.00 USD/h' in page
    assert 'id="skill-yard-work-rate-seattle-error">26.99 USD/h is below the floor of 27.00 USD/h' in page
    assert 'value="26.99" aria-invalid="true"' in page
    garbled = rita.post(
        "/me/skills", data={"action": "skill", "category": "yard-work", "rate": "lots", "csrf_token": token}
    )
    assert garbled.status_code == 422 and "Enter an amount in dollars an hour, e.g. 26.00." in text(garbled)
    unknown = rita.post("/me/skills", data={"action": "add", "category": "juggling", "rate": "30", "csrf_token": token})
    assert unknown.status_code == 422 and 'id="add-category-error">Choose a category.' in text(unknown)
    nowhere = rita.post("/me/skills", data={"action": "regions", "regions": ["atlantis"], "csrf_token": token})
    assert nowhere.status_code == 422 and "Unknown region(s): atlantis." in text(nowhere)
    stale = rita.post("/me/skills", data={"action": "regions", "regions": ["springfield"]})
    assert stale.status_code == 400
    with platform.uow() as uow:  # nothing refused was stored
        assert uow.session.get(TaskerRegionRate, (people["rita"], "yard-work", "seattle")).rate == 2700


def test_skills_are_a_taskers_own(platform, people):
    client = signed_in(web_app(platform), "casey@example.test")
    assert client.get("/me/skills").status_code == 403
    token = token_of(client, "/account/notifications")
    removal = {"action": "remove", "category": "yard-work", "csrf_token": token}
    assert client.post("/me/skills", data=removal).status_code == 403
    assert web_app(platform).test_client().get("/me/skills").headers["Location"] == "/login?next=/me/skills"


# /me/earnings ------------------------------------------------------------------------------------


def done_task(platform, people, title: str) -> int:
    with platform.uow() as uow:
        draft = TaskDraft("yard-work", "springfield", title, "", 60, utcnow() + timedelta(days=2))
        task_id = post_task(uow, people["casey"], draft).id
        uow.commit()
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    book(platform, task_id)
    with platform.uow() as uow:
        from marketplace.accounts.models import User

        rita = uow.session.get_one(User, people["rita"])
        accept_task(uow, rita, task_id, NO_WINDOW)
        start_task(uow, rita, task_id, early=ANY_TIME)
        complete_task(uow, rita, task_id, 60, tolerance=ANY_TIME)
        uow.commit()
    payments = Pipeline(platform, ["payments"])
    payments.drain()
    payments.close()
    return task_id


def test_earnings_say_what_each_task_paid_and_where_the_money_is(platform, people, rita):
    first = done_task(platform, people, "Rake the front")
    page = text(rita.get("/me/earnings"))
    row = page.split(f'data-earning="{first}"')[1].split("</tr>")[0]
    assert "Rake the front" in row and "waiting for your payout account" in row
    assert 'data-account=""' in page and "Set up payouts with Stripe" in page
    with platform.uow() as uow:
        uow.session.add(PayoutAccount(tasker_id=people["rita"], account_id="acct_null_rita"))
        uow.commit()
    second = done_task(platform, people, "Rake the back")  # an account now: paid out on capture
    with platform.uow() as uow:  # what the payments worker's sweep does for what waited
        pay_outstanding(uow)
        uow.commit()
    payments = Pipeline(platform, ["payments"])
    payments.drain()
    payments.close()
    page = text(rita.get("/me/earnings"))
    assert 'data-account="acct_null_rita"' in page and "Continue with Stripe" in page
    for task_id in (first, second):
        row = page.split(f'data-earning="{task_id}"')[1].split("</tr>")[0]
        assert "paid out" in row and "24.00 USD" in row, row
    assert "<strong>48.00 USD</strong> paid out to you" in page or "paid out to you" in page


def test_onboarding_returns_to_the_public_address_never_to_the_host_header(platform, people, rita):
    token = token_of(rita, "/me/earnings")
    answer = rita.post("/me/earnings/onboard", data={"csrf_token": token})  # the request's host is localhost
    public = platform.settings.public_url
    assert "localhost" not in public
    assert answer.status_code == 303 and answer.headers["Location"] == f"{public}/me/earnings?onboarding=done"
    back = rita.get("/me/earnings?onboarding=done")
    assert 'data-onboarding="done"' in text(back) and 'data-account="acct_null_' in text(back)
    assert rita.post("/me/earnings/onboard", data={}).status_code == 400  # no CSRF token


def test_the_api_onboarding_link_ignores_the_host_header(platform, people):
    from tests.support import ApiHelper

    api = ApiHelper(create_app({"TESTING": True}, platform=platform).test_client(), platform)
    tasker = api.signup("tasker")
    answer = api.client.post("/api/v1/taskers/me/payouts", headers={**api.headers(tasker), "Host": "evil.example"})
    assert answer.status_code == 201
    assert answer.json["onboarding_url"] == f"{platform.settings.public_url}/me/earnings?onboarding=done"
    assert "evil.example" not in answer.json["onboarding_url"]


# /me/webhooks ------------------------------------------------------------------------------------


def add_endpoint(web, url="http://127.0.0.1:9/hooks", kinds=("task.available",)):
    token = token_of(web, "/me/webhooks")
    return web.post("/me/webhooks", data={"url": url, "kinds": list(kinds), "csrf_token": token})


def test_webhooks_added_rotated_disabled_enabled_redelivered_and_deleted(platform, people, rita):
    page = text(rita.get("/me/webhooks"))
    assert "This development server accepts loopback URLs" in page and "production never does" in page
    added = add_endpoint(rita)
    assert added.status_code == 201
    secret = re.search(r"data-secret>(whsec_[^<]+)<", added.get_data(as_text=True)).group(1)
    with platform.uow() as uow:
        endpoint = uow.session.exec(WebhookEndpoint.__table__.select()).one()  # type: ignore[attr-defined]
        assert endpoint.secret == secret and endpoint.url == "http://127.0.0.1:9/hooks"
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id="ev-1", kind="task.available", payload="{}")
        uow.session.add(delivery)
        row = uow.session.get_one(WebhookEndpoint, endpoint.id)
        row.status, row.disabled_reason = "disabled", "It answered 410 Gone."
        uow.session.add(row)
        uow.commit()
        endpoint_id, delivery_id = endpoint.id, delivery.id
    listed = text(rita.get("/me/webhooks"))
    assert secret not in listed and "http://127.0.0.1:9/hooks" in listed  # the secret is shown once
    shown = text(rita.get(f"/me/webhooks/{endpoint_id}"))
    assert 'data-delivery="' in shown and "It answered 410 Gone." in shown and secret not in shown
    token = token_of(rita, f"/me/webhooks/{endpoint_id}")
    rotated = rita.post(f"/me/webhooks/{endpoint_id}/rotate", data={"csrf_token": token})
    assert rotated.status_code == 303 and rotated.headers["Location"] == f"/me/webhooks/{endpoint_id}"
    fresh = re.search(r"data-secret>(whsec_[^<]+)<", rita.get(f"/me/webhooks/{endpoint_id}").get_data(as_text=True))
    assert fresh is not None and fresh.group(1) != secret
    assert flashes(rita, rita.post(f"/me/webhooks/{endpoint_id}/enable", data={"csrf_token": token})) == [
        "Enabled: deliveries to this endpoint start again."
    ]
    redelivered = rita.post(
        f"/me/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver", data={"csrf_token": token}
    )
    assert any("goes again" in line for line in flashes(rita, redelivered))
    with platform.uow() as uow:
        assert uow.session.get_one(WebhookEndpoint, endpoint_id).status == "active"
        assert uow.session.get_one(WebhookDelivery, delivery_id).status == "pending"
    deleted = rita.post(f"/me/webhooks/{endpoint_id}/delete", data={"csrf_token": token})
    assert flashes(rita, deleted) == ["Deleted the endpoint and its delivery log."]
    assert rita.get(f"/me/webhooks/{endpoint_id}").status_code == 404


def test_a_bad_endpoint_is_refused_on_its_field(platform, people, rita):
    plain = add_endpoint(rita, url="http://example.com/hooks")
    assert plain.status_code == 422 and 'id="url-error">An https:// URL' in text(plain)
    none = add_endpoint(rita, kinds=())
    assert none.status_code == 422 and "Choose at least one kind." in text(none)
    odd = add_endpoint(rita, kinds=("task.everything",))
    assert odd.status_code == 422


def test_a_served_app_never_takes_loopback_even_with_the_variable_set(platform, people):
    """`floorboard serve` builds the app without TESTING or DEV_SERVER: whatever the setting says,
    neither the page nor the API accepts a loopback endpoint there."""
    served = create_app({"WTF_CSRF_ENABLED": True, **UNLIMITED}, platform=platform)
    assert platform.settings.webhooks_allow_loopback
    web = signed_in(served, "rita@example.test")
    assert "This development server accepts loopback" not in text(web.get("/me/webhooks"))
    refused = add_endpoint(web)
    assert refused.status_code == 422 and "not a public address" in text(refused)
    dev = create_app({"WTF_CSRF_ENABLED": True, "DEV_SERVER": True, **UNLIMITED}, platform=platform)
    assert add_endpoint(signed_in(dev, "rita@example.test")).status_code == 201


def test_webhooks_are_a_taskers_own(platform, people, rita):
    add_endpoint(rita)
    with platform.uow() as uow:
        endpoint_id = uow.session.exec(WebhookEndpoint.__table__.select()).one().id  # type: ignore[attr-defined]
    sam = signed_in(web_app(platform), "sam@example.test")
    assert sam.get(f"/me/webhooks/{endpoint_id}").status_code == 404
    token = token_of(sam, "/me/webhooks")
    for action in ("delete", "rotate", "enable"):
        assert sam.post(f"/me/webhooks/{endpoint_id}/{action}", data={"csrf_token": token}).status_code == 404
    assert signed_in(web_app(platform), "casey@example.test").get("/me/webhooks").status_code == 403
    assert rita.get(f"/me/webhooks/{endpoint_id}").status_code == 200


# Fuzzed forms ----------------------------------------------------------------------------------------

WEIRD = ["", " ", "0", "-1", "1e999999", "NaN", "99999999999999999999", "26.005", "$26", "1,026.00", "\x00", "x" * 600]
VALUE = st.one_of(st.sampled_from(WEIRD), st.text(max_size=20))
FORMS = {
    "/me/skills": {
        "action": st.sampled_from(["regions", "skill", "add", "remove", "other", ""]),
        "category": st.one_of(st.sampled_from(["yard-work", "moving-help", "juggling", ""]), st.text(max_size=10)),
        "rate": VALUE,
        "rate-springfield": VALUE,
        "rate-seattle": VALUE,
        "regions": st.lists(st.one_of(st.sampled_from(["springfield", "seattle", "atlantis"]), st.text(max_size=8))),
    },
    "/me/webhooks": {
        "url": st.one_of(st.sampled_from(["http://127.0.0.1:9/x", "https://[::1]/", "http://localhost/"]), VALUE),
        "kinds": st.lists(st.one_of(st.sampled_from(["task.available", "message.sent"]), st.text(max_size=8))),
    },
}


@pytest.mark.parametrize("path", sorted(FORMS))
def test_no_form_input_answers_5xx(platform, people, rita, path):
    token = token_of(rita, path)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(fields=st.fixed_dictionaries({}, optional=FORMS[path]))
    def check(fields):
        answer = rita.post(path, data={**fields, "csrf_token": token}, headers={"Accept": "text/html"})
        assert answer.status_code < 500, (fields, answer.status_code)

    check()


# 390 px ------------------------------------------------------------------------------------------


def test_every_account_page_fits_a_phone(platform, people):
    from playwright.sync_api import sync_playwright

    chromium_path = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium_path, os.X_OK):
        pytest.fail(f"Chromium is required at {chromium_path}")
    with platform.uow() as uow:
        set_skills(
            uow,
            people["rita"],
            ["springfield", "seattle", "riverside"],
            [SkillSpec("yard-work", 2400, {"seattle": 2700}), SkillSpec("moving-help", 2800)],
        )
        endpoint = WebhookEndpoint(
            tasker_id=people["rita"],
            url="http://127.0.0.1:9/" + "a-long-path-segment/" * 8,
            kinds="task.available,message.sent,task.cancelled",
            secret="whsec_x",
        )
        uow.session.add(endpoint)
        uow.session.flush()
        uow.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id="ev-" + "x" * 40,
                kind="message.sent",
                payload="{}",
                last_error="connection refused " * 5,
            )
        )
        uow.commit()
        endpoint_id = endpoint.id
    done_task(platform, people, "A task with a long title that has to wrap on a phone")
    app = web_app(platform)
    with live_server(app) as base, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, args=["--headless", "--no-sandbox"], headless=True)
        page = chromium.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill("rita@example.test")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{base}/me")
        for link in ("Skills and rates", "Earnings", "Webhooks"):
            page.goto(f"{base}/me")
            page.get_by_role("link", name=link, exact=True).click()
            width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert width[0] <= width[1], (link, width)
        page.goto(f"{base}/me/webhooks/{endpoint_id}")
        width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        page.goto(f"{base}/me")
        width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        # A rate changed with the page's own buttons, at 390 px.
        page.get_by_role("link", name="Skills and rates", exact=True).click()
        yard = page.locator("#skill-yard-work")
        yard.get_by_label("Seattle, WA: a rate of its own (optional)").fill("29.00")
        yard.get_by_role("button", name="Save Yard work").click()
        flashed = page.locator("p.flash").all_inner_texts()
        assert "Yard work in Seattle, WA: 29.00 USD/h, was 27.00 USD/h." in flashed, flashed
        chromium.close()


def test_in_test_mode_payouts_never_claim_a_stripe_account(make_platform, sqlite_url):
    """Without a payment provider, 'Set up payouts' comes straight back: the page says test mode,
    never 'Back from Stripe' or 'your Stripe account'."""
    import re as _re

    from api import create_app
    from tests.support import csrf, make_tasker, seeded

    platform = seeded(make_platform(sqlite_url))
    make_tasker(platform, "tilly@example.test", {"yard-work": 2400}, ["springfield"])
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True}, platform=platform)
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    web.post("/login", data={"email": "tilly@example.test", "password": "correct horse battery", "csrf_token": token})
    page = web.get("/me/earnings").get_data(as_text=True)
    back = web.post("/me/earnings/onboard", data={"csrf_token": csrf(page)})
    assert back.status_code == 303
    done = web.get(back.headers["Location"].removeprefix("http://127.0.0.1:5000")).get_data(as_text=True)
    text = _re.sub(r"\s+", " ", done)
    assert "Test mode: no payment provider is configured" in text
    assert "Back from Stripe" not in text and "your Stripe account" not in text
