"""The schemathesis run covers the JSON API; this covers what it cannot see: the client's web forms
and the operator console. Each form gets generated field values (huge numbers, NaN, calendar-end
dates, control characters, very long text) with a valid CSRF token, and none may answer 5xx."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from marketplace.accounts.users import create_user
from marketplace.community.questions import answer_question, ask_question
from tests.support import UNLIMITED, csrf, enrol_two_factor, pass_two_factor, seeded

PASSWORD = "correct horse battery"
WEIRD = [
    "99999999999999999999",
    "-1",
    "0",
    "1e999999999",
    "sNaN",
    "NaN",
    "Infinity",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2031-06-01T09:00",
    "",
    " ",
    "\x00",
    "\u202e",
    "x" * 6000,
    "60",
    "yard-work",
    "springfield",
    "tasker",
    "client",
    "on",
]
value = st.one_of(st.sampled_from(WEIRD), st.text(max_size=30), st.integers(-(10**25), 10**25).map(str))

FORMS = {  # path -> the fields its form has
    "/signup": ["email", "display_name", "password", "confirm", "role"],
    "/login": ["email", "password"],
    "/tasks/new": [
        "category",
        "region",
        "title",
        "description",
        "estimated_minutes",
        "starts_at",
        "offered_rate",
        "no_handoffs",
        "form_token",
        "action",
        "addressed_to",
        "only_addressed",
    ],
    "/tasks/1/cancel": ["reason"],
    "/tasks/1/review": ["rating", "comment"],
    "/tasks/1/claim/dispute": ["reason"],
    "/tasks/1/messages": ["body"],
    "/boards/yard-work/questions": ["title", "body"],
    "/questions/1/answers": ["body"],
    "/answers/1/vote": ["helpful"],
    "/answers/1/accept": ["helpful"],
    "/console/questions/1/hide": ["reason"],
    "/console/answers/1/hide": ["reason"],
    "/account/notifications": ["mode-message.sent", "mode-payment.captured", "mode-task.started"],
    "/account/close": ["password"],
    "/account/password": ["current_password", "new_password", "confirm"],
    "/account/sessions/end-others": ["what"],
    "/account/sessions/nosuchsession/end": ["what"],
    "/account/tokens/1/revoke": ["what"],
    "/account/two-factor/start": [],
    "/account/two-factor/confirm": ["code"],
    "/account/two-factor/recovery-codes": ["code"],
    "/account/two-factor/off": ["password", "code"],  # (with two-factor on: test_two_factor.py fuzzes them too)
    "/account/data": ["csrf_token", "action"],
    "/account/data/download/nosuchtoken": ["csrf_token"],
    "/console/floors/yard-work/springfield": [
        "hourly_floor",
        "per_task_floor",
        "min_billable_minutes",
        "billing_increment_minutes",
        "service_fee_bps",
        "trust_fee_bps",
        "tasker_commission_bps",
        "reason",
        "effective_from",
        "confirm",
    ],
    "/console/simulate": ["category", "region", "hourly_floor", "days"],
    "/console/disputes/1": ["note", "decision"],
    "/console/disputes/1/conversation": ["reason"],
    "/console/tips/1/hide": ["reason"],
    "/console/endorsements/1/revoke": ["reason"],
    "/console/pipeline/tasks.posted/replay": ["topic"],
}
SIGNED_IN_AS = {"/console": "operator@example.test"}


@pytest.fixture
def browser(make_platform, sqlite_url):
    platform = seeded(make_platform(sqlite_url))
    with platform.uow() as uow:
        made = {
            role: create_user(uow.session, f"{role}@example.test", PASSWORD, role)
            for role in ("client", "operator", "tasker")
        }
        peer = create_user(uow.session, "peer@example.test", PASSWORD, "tasker")
        question = ask_question(uow, made["tasker"], "yard-work", "Shears?", "Which ones?")  # question 1
        answer_question(uow, peer, question.id, "Topiary shears.")  # answer 1, which the asker may mark
        uow.commit()
    enrol_two_factor(platform, "operator@example.test")  # operators must have it
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, **UNLIMITED}, platform=platform)
    return app


def signed_in(app, email: str):
    web = app.test_client()
    token = csrf(web.get("/login").get_data(as_text=True))
    pass_two_factor(web, web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}))
    return web


@pytest.mark.parametrize("path", sorted(FORMS))
def test_no_form_input_answers_5xx(browser, path):
    who = "operator@example.test" if path.startswith("/console") else "client@example.test"
    if path.startswith(("/boards", "/questions", "/answers")):
        who = "tasker@example.test"
    web = signed_in(browser, who) if path not in ("/signup", "/login") else browser.test_client()
    page = web.get("/tasks/new" if path.startswith("/tasks") else "/login").get_data(as_text=True)
    token = csrf(page)

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fields=st.fixed_dictionaries({}, optional={name: value for name in FORMS[path]}))
    def check(fields):
        r = web.post(path, data={**fields, "csrf_token": token}, headers={"Accept": "text/html"})
        assert r.status_code < 500, (path, fields, r.status_code)
        assert not re.search(r"Traceback|Internal Server Error", r.get_data(as_text=True))

    check()
