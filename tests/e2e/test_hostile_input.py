"""Named regressions for hostile input: each reproduces a request that once answered 500 (or let
bad data into the event log) and checks the clear 4xx that replaced it."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from events.contracts import decode
from events.tables import EventLogRow
from marketplace.accounts.users import create_user
from marketplace.floors.models import FloorRuleVersion
from marketplace.tasks.models import Task
from tests.support import csrf, enrol_two_factor, pass_two_factor

DEEP = ("[" * 5000) + ("]" * 5000)
SURROGATE = '"\\ud800"'  # a lone surrogate, as a JSON escape: valid JSON, not valid Unicode


def raw_json(client, method: str, path: str, text: str, headers=None):
    return client.open(path, method=method, data=text, content_type="application/json", headers=headers or {})


def events_in_log(platform) -> list:
    with platform.uow() as uow:
        return list(uow.session.exec(select(EventLogRow)))


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/users", "/api/v1/quotes", "/api/v1/tasks"])
def test_json_nested_5000_deep_is_a_400_not_a_recursion_error(client, api, path):
    who = api.signup("client")
    r = raw_json(client, "POST", path, DEEP, api.headers(who))
    assert r.status_code == 400 and r.is_json and "nested more than 32" in r.json["message"], r.json
    r = raw_json(client, "POST", path, '{"a":' * 40 + "1" + "}" * 40, api.headers(who))
    assert r.status_code == 400 and "nested" in r.json["message"]


def test_a_body_past_the_limit_is_a_413_before_it_is_read(client):
    r = raw_json(client, "POST", "/api/v1/users", '{"email": "' + "a" * (300 * 1024) + '"}')
    assert r.status_code == 413 and r.is_json


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/api/v1/auth/token", '{"email": %s, "password": "x"}', "email"),
        ("/api/v1/auth/token", '{"email": "a@b.test", "password": %s}', "password"),
        ("/api/v1/users", '{"email": "a@b.test", "password": %s, "role": "client"}', "password"),
        (
            "/api/v1/users",
            '{"email": "a@b.test", "password": "a long password", "role": "client", "display_name": %s}',
            "display_name",
        ),
    ],
)
def test_a_lone_surrogate_is_a_422_that_names_the_field(client, path, body, field):
    r = raw_json(client, "POST", path, body % SURROGATE)
    assert r.status_code == 422 and field in r.json["errors"]["json"], r.json
    assert "surrogate" in r.json["errors"]["json"][field][0]


def test_surrogates_and_nul_in_a_tip_a_floor_reason_or_a_cancel_reason_never_reach_the_log(client, api, platform):
    tasker, operator, customer = api.signup("tasker"), api.signup("operator"), api.signup("client")
    before = len(events_in_log(platform))
    r = raw_json(
        client, "POST", "/api/v1/boards/yard-work/tips", '{"title": "t", "body": %s}' % SURROGATE, api.headers(tasker)
    )
    assert r.status_code == 422 and "body" in r.json["errors"]["json"]
    r = raw_json(
        client,
        "PUT",
        "/api/v1/floors/yard-work/springfield",
        '{"hourly_floor": 2500, "reason": "a\\u0000b"}',
        api.headers(operator),
    )
    assert r.status_code == 422 and "NUL" in r.json["errors"]["json"]["reason"][0]
    task_id = api.post_task(customer).json["id"]
    r = raw_json(
        client, "POST", f"/api/v1/tasks/{task_id}/cancel", '{"reason": "x %s"}' % SURROGATE[1:-1], api.headers(customer)
    )
    assert r.status_code == 422 and "reason" in r.json["errors"]["json"]
    events = events_in_log(platform)
    assert len(events) == before + 1  # only the posting
    for row in events:
        decode(row.value)  # every event written can be read


@pytest.mark.parametrize("field", ["starts_at"])
def test_a_start_at_the_end_of_the_calendar_is_a_422(client, api, field):
    who = api.signup("client")
    r = api.post_task(who, starts_at="9999-12-31T23:59:59-14:00")
    assert r.status_code == 422 and "starts_at" in r.json["errors"]["json"], r.json


def test_an_effective_from_at_the_end_of_the_calendar_is_a_422(client, api):
    operator = api.signup("operator")
    r = client.put(
        "/api/v1/floors/yard-work/springfield",
        headers=api.headers(operator),
        json={"hourly_floor": 2500, "reason": "r", "effective_from": "9999-12-31T23:59:59-14:00"},
    )
    assert r.status_code == 422 and "effective_from" in r.json["errors"]["json"]


def test_an_offer_past_the_engines_limit_is_refused_at_once(client, api, platform):
    """The API took 100,000,000 and the worker rejected it later; now the API refuses it."""
    who = api.signup("client")
    r = api.post_task(who, offered_rate=100_000_000)
    assert r.status_code == 422 and "offered_rate" in r.json["errors"]["json"]
    r = client.post(
        "/api/v1/quotes",
        json={"category": "yard-work", "region": "springfield", "estimated_minutes": 60, "offered_rate": 10**30},
    )
    assert r.status_code == 422
    with platform.uow() as uow:
        assert uow.session.exec(select(Task)).all() == []


@pytest.fixture
def web(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def sign_in(web, email: str, password: str = "correct horse battery"):
    token = csrf(web.get("/login").get_data(as_text=True))
    return pass_two_factor(web, web.post("/login", data={"email": email, "password": password, "csrf_token": token}))


def test_an_overflowing_floor_in_the_console_is_a_field_error_and_keeps_what_was_typed(web, platform):
    with platform.uow() as uow:
        create_user(uow.session, "ops@example.test", "correct horse battery", "operator")
        uow.commit()
    enrol_two_factor(platform, "ops@example.test")  # operators must have it
    sign_in(web, "ops@example.test")
    page = web.get("/console/floors/yard-work/springfield").get_data(as_text=True)
    form = {
        "csrf_token": csrf(page),
        "hourly_floor": "99999999999999999999",
        "per_task_floor": "0",
        "min_billable_minutes": "60",
        "billing_increment_minutes": "15",
        "service_fee_bps": "0",
        "trust_fee_bps": "0",
        "tasker_commission_bps": "0",
        "reason": "typo test",
    }
    r = web.post("/console/floors/yard-work/springfield", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "99999999999999999999" in html and "typo test" in html
    with platform.uow() as uow:
        assert (
            len(
                uow.session.exec(
                    select(FloorRuleVersion).where(
                        FloorRuleVersion.category == "yard-work", FloorRuleVersion.region == "springfield"
                    )
                ).all()
            )
            == 1
        )


def test_nan_in_the_web_task_form_is_a_field_error(web, platform):
    with platform.uow() as uow:
        create_user(uow.session, "c@example.test", "correct horse battery", "client")
        uow.commit()
    sign_in(web, "c@example.test")
    token = csrf(web.get("/tasks/new").get_data(as_text=True))
    for bad in ("sNaN", "NaN", "Infinity", "1e999999999"):
        r = web.post(
            "/tasks/new",
            data={
                "category": "yard-work",
                "region": "springfield",
                "title": "t",
                "estimated_minutes": "60",
                "starts_at": "2031-06-01T09:00",
                "offered_rate": bad,
                "action": "post",
                "csrf_token": token,
            },
        )
        assert r.status_code == 422, bad
        preview = web.get(
            f"/tasks/preview?category=yard-work&region=springfield&estimated_minutes=60&offered_rate={bad}"
        )
        assert preview.status_code == 200, bad
    with platform.uow() as uow:
        assert uow.session.exec(select(Task)).all() == []


def test_a_signed_webhook_with_a_malformed_task_id_is_acknowledged_not_a_500(make_platform, sqlite_url):
    import hashlib
    import hmac
    import time

    from api import create_app
    from tests.support import seeded

    secret = "whsec_test_malformed"
    platform = seeded(
        make_platform(
            sqlite_url,
            stripe_secret_key="sk_test_x",
            stripe_webhook_secret=secret,
            stripe_api_base="http://127.0.0.1:9",
        )
    )
    client = create_app({"TESTING": True}, platform=platform).test_client()

    def deliver(event: dict):
        payload = json.dumps(event)
        stamp = str(int(time.time()))
        signature = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        return client.post(
            "/webhooks/stripe",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": f"t={stamp},v1={signature}"},
        )

    for n, task_id in enumerate(["abc", "-1", "99999999999999999999999", "", "١٢", None, 7]):
        r = deliver(
            {
                "id": f"evt_{n}",
                "type": "payment_intent.succeeded",
                "data": {
                    "object": {
                        "object": "payment_intent",
                        "id": f"pi_{n}",
                        "status": "succeeded",
                        "amount": 100,
                        "metadata": {"task_id": task_id},
                    }
                },
            }
        )
        assert r.status_code == 200 and r.is_json, (task_id, r.get_json())
    for event in [{"id": "evt_x"}, {"id": 5, "type": "x", "data": {}}, {"id": "e", "type": "t", "data": []}]:
        r = deliver(event)
        assert r.status_code == 200 and r.json["ignored"] == "malformed event", event
    assert [row for row in events_in_log(platform) if row.topic == "payments.events"] == []


@pytest.fixture
def pg_web(make_platform, postgres_url):
    """A signed-in client's browser on PostgreSQL, which refuses NUL where SQLite stores it."""
    from api import create_app
    from tests.support import UNLIMITED, seeded

    platform = seeded(make_platform(postgres_url))
    with platform.uow() as uow:
        create_user(uow.session, "nul@example.test", "correct horse battery", "client")
        uow.commit()
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, **UNLIMITED}, platform=platform)
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    web.post("/login", data={"email": "nul@example.test", "password": "correct horse battery", "csrf_token": token})
    return web


@pytest.mark.parametrize("field", ["title", "description", "area", "address", "access_notes", "offered_rate"])
def test_nul_in_a_web_form_is_a_400_page_on_postgresql(pg_web, field):
    token = csrf(pg_web.get("/tasks/new").get_data(as_text=True))
    form = {
        "category": "yard-work",
        "region": "springfield",
        "title": "Rake",
        "estimated_minutes": "60",
        "starts_at": "2031-06-01T09:00",
        "action": "post",
        "csrf_token": token,
        field: "a\x00b",
    }
    r = pg_web.post("/tasks/new", data=form, headers={"Accept": "text/html"})
    assert r.status_code == 400 and f"The form field {field} was refused" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    ["/boards/yard\x00work", "/tasks/preview?category=yard%00work&region=springfield&estimated_minutes=60"],
)
def test_nul_in_a_path_or_query_is_a_4xx_on_postgresql(pg_web, path):
    r = pg_web.get(path, headers={"Accept": "text/html"})
    assert 400 <= r.status_code < 500, r.status_code
    r = pg_web.get("/api/v1/floors?region=spring%00field")
    assert r.status_code == 422 and r.is_json and "NUL" in json.dumps(r.json)
