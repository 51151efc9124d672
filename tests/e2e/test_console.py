"""The operators' web console: sign-in with CSRF, roles, floors table, edit, history, simulation."""

from __future__ import annotations

import re

import pytest

from marketplace.accounts.users import create_user
from tests.support import csrf, enrol_two_factor, pass_two_factor

PASSWORD = "a long operator password"


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def browser(csrf_app, platform):
    with platform.uow() as uow:
        create_user(uow.session, "ops@example.test", PASSWORD, "operator")
        create_user(uow.session, "client@example.test", PASSWORD, "client")
        uow.commit()
    enrol_two_factor(platform, "ops@example.test")  # operators must have it
    return csrf_app.test_client()


def sign_in(browser, email):
    token = csrf(browser.get("/login").get_data(as_text=True))
    return pass_two_factor(
        browser, browser.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    )


def test_console_needs_an_operator_session(browser):
    r = browser.get("/console/floors")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = browser.post("/login", data={"email": "ops@example.test", "password": PASSWORD})  # no CSRF token
    assert r.status_code == 400 and "/console" not in r.headers.get("Location", "")
    token = csrf(browser.get("/login").get_data(as_text=True))
    r = browser.post("/login", data={"email": "ops@example.test", "password": "wrong", "csrf_token": token})
    assert r.status_code == 400 and "Wrong email or password" in r.get_data(as_text=True), re.findall(
        r"class=\"error\">[^<]*", r.get_data(as_text=True)
    )
    assert sign_in(browser, "client@example.test").status_code == 302
    r = browser.get("/console/floors", headers={"Accept": "text/html"})
    assert r.status_code == 403 and "<h1>403" in r.get_data(as_text=True)


def test_operator_sees_floors_changes_one_and_reads_history(browser):
    r = sign_in(browser, "ops@example.test")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/floors")
    page = browser.get("/console/floors").get_data(as_text=True)
    assert "Seattle, WA" in page and "Yard work" in page and "27.00 USD/h" in page
    form = browser.get("/console/floors/yard-work/nyc").get_data(as_text=True)
    assert "Change the floor for Yard work in New York" in form  # names, not slugs
    token = csrf(form)
    fields = {
        "hourly_floor": "2100",
        "per_task_floor": "1500",
        "min_billable_minutes": "60",
        "billing_increment_minutes": "15",
        "service_fee_bps": "1500",
        "trust_fee_bps": "500",
        "tasker_commission_bps": "0",
        "reason": "",
        "csrf_token": token,
    }
    r = browser.post("/console/floors/yard-work/nyc", data=fields)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "This field is required" in html  # the reason
    r = browser.post("/console/floors/yard-work/nyc", data={**fields, "reason": "cut"})
    assert r.status_code == 422 and "legal minimum of 2213 cents" in r.get_data(as_text=True)
    r = browser.post(
        "/console/floors/yard-work/nyc",
        data={**fields, "hourly_floor": "2600", "reason": "Review", "effective_from": "2031-01-01T09:00"},
    )
    assert r.status_code == 302
    table = browser.get("/console/floors").get_data(as_text=True)
    assert "Yard work in New York City, NY: version 2 will take effect on 2031-01-01 09:00 EST." in table
    assert "version 2" in table and "is now version" not in table
    history = browser.get("/console/history").get_data(as_text=True)
    assert "Review" in history and "hourly floor: 24.00 USD/h → 26.00 USD/h" in history
    assert "2031-01-01 09:00" in history and "hourly_floor" not in history
    assert "Yard work in New York" in history and "yard-work/nyc" not in history


def test_simulation_page_draws_a_chart(browser, api):
    me = api.signup("client")
    api.post_task(me, estimated_minutes=60)
    api.price_pending()
    sign_in(browser, "ops@example.test")
    token = csrf(browser.get("/console/simulate").get_data(as_text=True))
    r = browser.post(
        "/console/simulate",
        data={
            "category": "yard-work",
            "region": "springfield",
            "hourly_floor": "3000",
            "days": "7",
            "csrf_token": token,
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<svg" in html and "1 posting of Yard work in Springfield replayed" in html
    assert 'class="bar-client"' in html and "7.20 USD" in html  # 2880 -> 3600
    assert ">Yard work</text>" in html and "every</em> category" not in html
    lower = browser.post(  # a cut: the bars grow left of the axis, each value left of its bar's end
        "/console/simulate",
        data={"region": "springfield", "hourly_floor": "2000", "days": "7", "csrf_token": token},
    ).get_data(as_text=True)
    assert "every</em> category" in lower and "-" in lower.split("replayed (the last")[1]
    axis = float(lower.split('<line x1="')[1].split("%")[0])
    labels = [
        (float(t.split("%")[0]), t.split('text-anchor="')[1].split('"')[0])
        for t in lower.split('<text x="')[1:]
        if "USD" in t.split("</text>")[0]
    ]
    assert labels and all(x < axis and anchor == "end" for x, anchor in labels)
    assert min(x for x, _ in labels) >= 25  # room for the value between its bar's end and the chart's edge
    assert "viewBox" not in lower.split("<figure")[1].split("</figure>")[0]  # its text is never scaled down
    r = browser.post(
        "/console/simulate", data={"region": "seattle", "hourly_floor": "100", "days": "7", "csrf_token": token}
    )
    assert r.status_code == 422 and "legal minimum" in r.get_data(as_text=True)


def test_scheduled_changes_show_in_the_floors_table_and_a_big_jump_needs_confirm(browser, platform):
    sign_in(browser, "ops@example.test")
    page = browser.get("/console/floors/yard-work/springfield").get_data(as_text=True)
    form = {
        "csrf_token": csrf(page),
        "hourly_floor": "2600",
        "per_task_floor": "1500",  # as it is: a cut under a third needs the confirm box
        "min_billable_minutes": "60",
        "billing_increment_minutes": "15",
        "service_fee_bps": "1000",
        "trust_fee_bps": "200",
        "tasker_commission_bps": "0",
        "reason": "yearly review",
        "effective_from": "2030-01-01T00:00",
    }
    assert browser.post("/console/floors/yard-work/springfield", data=form).status_code == 302
    table = browser.get("/console/floors").get_data(as_text=True)
    # entered on Springfield's clock (America/Chicago): 06:00 UTC, shown as the operator entered it
    assert '26.00 USD/h from <time datetime="2030-01-01T06:00:00+00:00">2030-01-01 00:00 CST</time>' in table
    assert "data-scheduled" in table

    jump = {**form, "hourly_floor": "240000", "effective_from": "", "reason": "typo"}
    r = browser.post("/console/floors/yard-work/springfield", data=jump)
    assert r.status_code == 422 and "confirm" in r.get_data(as_text=True)
    assert browser.post("/console/floors/yard-work/springfield", data={**jump, "confirm": "y"}).status_code == 302


def _dead_letter(platform, error: str) -> None:
    from events.contracts import encode
    from events.envelope import CloudEvent
    from events.topics import dlq_topic
    from marketplace.clock import utcnow
    from tests.support import posted_event

    original = posted_event(424242)
    with platform.uow() as uow:
        letter = CloudEvent(
            type="deadletter",
            subject="424242",
            data={
                "original_topic": "tasks.posted",
                "original_partition": 0,
                "original_offset": 7,
                "original_key": "424242",
                "original_value": encode(original).decode(),
                "original_event_id": original.id,
                "consumer": "pricing",
                "error": error,
                "attempts": 3,
                "failed_at": utcnow(),
            },
        )
        uow.emit(letter, key="424242", topic=dlq_topic("tasks.posted"))
        uow.commit()


def test_the_pipeline_page_shows_lag_and_dead_letters_and_replays_them(browser, platform):
    _dead_letter(platform, "LookupError: task 424242 is on tasks.posted but not in the database")
    sign_in(browser, "client@example.test")
    assert browser.get("/console/pipeline", headers={"Accept": "text/html"}).status_code == 403
    sign_in(browser, "ops@example.test")
    page = browser.get("/console/pipeline").get_data(as_text=True)
    for group in ("pricing", "tasker-rates", "reputation", "tips", "payments"):
        assert f'data-group="{group}"' in page
    assert "tasks.posted.dlq: 1 waiting, 0 replayed" in page and "task 424242 is on tasks.posted" in page
    assert browser.post("/console/pipeline/tasks.posted/replay", data={}).status_code == 400  # no CSRF token
    assert "1 waiting" in browser.get("/console/pipeline").get_data(as_text=True)
    r = browser.post("/console/pipeline/tasks.posted/replay", data={"csrf_token": csrf(page)})
    assert r.status_code == 303
    after = browser.get("/console/pipeline").get_data(as_text=True)
    assert "1 dead letter(s) put back on the topic" in after and "tasks.posted.dlq: 0 waiting, 1 replayed" in after
    assert "Replay 1 onto" not in after


def test_operators_moderate_tips_from_the_console(browser, platform):
    from marketplace.accounts.models import User
    from marketplace.community.tips import post_tip

    with platform.uow() as uow:
        author = create_user(uow.session, "author@example.test", PASSWORD, "tasker")
        tip_id = post_tip(uow, uow.session.get_one(User, author.id), "yard-work", "Buy <b>cheap</b> rakes", "x").id
        uow.commit()
    sign_in(browser, "ops@example.test")
    page = browser.get("/console/tips").get_data(as_text=True)
    assert f'data-tip="{tip_id}"' in page and "Buy &lt;b&gt;cheap&lt;/b&gt; rakes" in page
    refused = browser.post(f"/console/tips/{tip_id}/hide", data={"csrf_token": csrf(page), "reason": ""})
    assert refused.status_code == 422
    r = browser.post(f"/console/tips/{tip_id}/hide", data={"csrf_token": csrf(page), "reason": "Advertising"})
    assert r.status_code == 303
    after = browser.get("/console/tips").get_data(as_text=True)
    assert f"Tip {tip_id} is hidden from its board." in after and "<strong>Hidden</strong>: Advertising" in after
    with platform.uow() as uow:
        from marketplace.community.models import Tip

        assert uow.session.get_one(Tip, tip_id).hidden_reason == "Advertising"
