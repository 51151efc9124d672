"""Two-factor sign-in over HTTP: setting it up on the account page (the QR code and the key as
text, a first code, the recovery codes once), signing in in two steps (with `?next=` kept), a
recovery code once, wrong codes rate limited, turning it off; operators sent to set it up and
refused by the console until they have; and the API: the token endpoint's `code`, and enrolment,
new recovery codes and turning off for apps."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pyotp
import pytest

from api import create_app
from marketplace.accounts import two_factor
from marketplace.accounts.users import create_user
from tests.support import UNLIMITED, csrf, enrol_two_factor, pass_two_factor, two_factor_code

PASSWORD = "correct horse battery"


@pytest.fixture
def csrf_app(platform):
    return create_app({"TESTING": True, **UNLIMITED}, platform=platform)  # CSRF on, as in production


@pytest.fixture
def people(platform):
    with platform.uow() as uow:
        for role in ("client", "operator"):
            create_user(uow.session, f"{role}@example.test", PASSWORD, role)
        uow.commit()


def form_post(browser, page_url: str, action: str, **fields):
    """Post a form of the page at `page_url` with its CSRF token."""
    token = csrf(browser.get(page_url).get_data(as_text=True))
    return browser.post(action, data={**fields, "csrf_token": token})


def sign_in(browser, email: str, password: str = PASSWORD, next_page: str | None = None):
    url = "/login" + (f"?next={quote(next_page)}" if next_page else "")
    return form_post(browser, url, url, email=email, password=password)


def enrol_on_the_page(browser) -> tuple[str, list[str]]:
    """Set up two-factor on the account page as a person does: start, read the key off the page,
    type a code; the key and the recovery codes the page shows once."""
    r = form_post(browser, "/account/two-factor", "/account/two-factor/start")
    assert r.status_code == 302
    page = browser.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "QR code for your authenticator app" in page  # the QR code, inline
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page  # grouped, to type by hand
    uri = html.unescape(re.search(r'href="(otpauth://[^"]+)"', page).group(1))
    assert f"secret={secret}" in uri and "issuer=Floorboard" in uri
    assert two_factor.qr_svg(two_factor.Enrolment(secret, uri)) in page  # the QR code draws that very URI
    r = form_post(browser, "/account/two-factor", "/account/two-factor/confirm", code=pyotp.TOTP(secret).now())
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Two-factor sign-in is on" in page
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>", page)
    assert len(codes) == 10
    assert not re.findall(
        r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", browser.get("/account/two-factor").get_data(as_text=True)
    )
    return secret, codes


def test_a_client_enrols_and_then_signs_in_in_two_steps(csrf_app, platform, people):
    browser = csrf_app.test_client()
    assert sign_in(browser, "client@example.test").status_code == 302
    page = browser.get("/account/two-factor").get_data(as_text=True)
    assert "Two-factor sign-in is <strong>off</strong>" in page
    enrol_on_the_page(browser)
    page = browser.get("/account/two-factor").get_data(as_text=True)
    assert "Two-factor sign-in is <strong>on</strong> since" in page and " UTC</time>" in page  # labelled
    assert 'Recovery codes left: <strong id="codes-left">10</strong>' in page

    browser = csrf_app.test_client()
    r = sign_in(browser, "client@example.test", next_page="/tasks/new")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login/code")
    assert browser.get("/tasks/new").status_code == 302  # not signed in yet
    r = form_post(browser, r.headers["Location"], r.headers["Location"], code="000000")
    assert r.status_code == 400 and "That code is not right" in r.get_data(as_text=True)
    location = "/login/code?next=%2Ftasks%2Fnew"
    r = form_post(browser, location, location, code=two_factor_code(platform, "client@example.test"))
    assert r.status_code == 302 and r.headers["Location"] == "/tasks/new"  # ?next= kept through both steps
    assert browser.get("/tasks/new").status_code == 200


def test_a_code_is_refused_the_second_time(csrf_app, platform, people):
    browser = csrf_app.test_client()
    sign_in(browser, "client@example.test")
    secret, _ = enrol_on_the_page(browser)
    code = two_factor_code(platform, "client@example.test")
    first, second = csrf_app.test_client(), csrf_app.test_client()
    for b in (first, second):
        assert sign_in(b, "client@example.test").headers["Location"].startswith("/login/code")
    assert form_post(first, "/login/code", "/login/code", code=code).status_code == 302
    r = form_post(second, "/login/code", "/login/code", code=code)  # overheard, typed again
    assert r.status_code == 400 and "already used" in r.get_data(as_text=True)


def test_a_recovery_code_signs_in_once(csrf_app, platform, people):
    browser = csrf_app.test_client()
    sign_in(browser, "client@example.test")
    _, codes = enrol_on_the_page(browser)
    browser = csrf_app.test_client()
    sign_in(browser, "client@example.test")
    r = form_post(browser, "/login/code", "/login/code", code=codes[3])
    assert r.status_code == 302
    assert "it will not work again. 9 left" in browser.get("/", follow_redirects=True).get_data(as_text=True)
    again = csrf_app.test_client()
    sign_in(again, "client@example.test")
    assert form_post(again, "/login/code", "/login/code", code=codes[3]).status_code == 400


def test_the_code_step_without_a_password_first_sends_to_sign_in(csrf_app, people):
    browser = csrf_app.test_client()
    r = browser.get("/login/code?next=/tasks")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert "/login/code" not in r.headers["Location"]


def test_wrong_codes_are_rate_limited_per_account(platform, people):
    app = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_TWO_FACTOR": "3 per minute"}, platform=platform
    )
    enrol_two_factor(platform, "client@example.test")
    browser = app.test_client()
    browser.post("/login", data={"email": "client@example.test", "password": PASSWORD})
    statuses = [browser.post("/login/code", data={"code": "999999"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    # A new password step does not give new tries: the counter is the account's.
    other = app.test_client()
    other.post("/login", data={"email": "client@example.test", "password": PASSWORD})
    assert other.post("/login/code", data={"code": two_factor_code(platform, "client@example.test")}).status_code == 429


def test_turning_off_asks_the_password_and_a_code(csrf_app, platform, people):
    browser = csrf_app.test_client()
    sign_in(browser, "client@example.test")
    enrol_on_the_page(browser)
    r = form_post(browser, "/account/two-factor", "/account/two-factor/off", password="wrong one", code="123456")
    assert r.status_code == 400 and "Wrong password." in r.get_data(as_text=True)
    code = two_factor_code(platform, "client@example.test")
    r = form_post(browser, "/account/two-factor", "/account/two-factor/off", password=PASSWORD, code=code)
    assert r.status_code == 302
    assert "is <strong>off</strong>" in browser.get("/account/two-factor").get_data(as_text=True)
    assert sign_in(csrf_app.test_client(), "client@example.test").headers["Location"] == "/"  # the password alone


def test_new_recovery_codes_on_the_page(csrf_app, platform, people):
    browser = csrf_app.test_client()
    sign_in(browser, "client@example.test")
    _, old = enrol_on_the_page(browser)
    r = form_post(browser, "/account/two-factor", "/account/two-factor/recovery-codes", code="12")
    assert r.status_code == 400
    r = form_post(
        browser,
        "/account/two-factor",
        "/account/two-factor/recovery-codes",
        code=two_factor_code(platform, "client@example.test"),
    )
    new = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", r.get_data(as_text=True))
    assert r.status_code == 200 and len(new) == 10 and set(new).isdisjoint(old)


def test_an_operator_without_two_factor_is_sent_to_set_it_up(csrf_app, platform, people):
    browser = csrf_app.test_client()
    r = sign_in(browser, "operator@example.test")
    assert r.status_code == 302 and r.headers["Location"] == "/account/two-factor"
    page = browser.get("/account/two-factor").get_data(as_text=True)
    assert "Operators must sign in with two-factor" in page
    for path in ("/console/floors", "/console/history", "/console/market", "/console/disputes"):
        r = browser.get(path)
        assert r.status_code == 302 and r.headers["Location"] == "/account/two-factor", path
    r = form_post(browser, "/account/two-factor", "/console/answers/1/hide", reason="spam")
    assert r.status_code == 302 and r.headers["Location"] == "/account/two-factor"
    enrol_on_the_page(browser)
    assert browser.get("/console/floors").status_code == 200
    # And operators cannot turn it off.
    page = browser.get("/account/two-factor").get_data(as_text=True)
    assert "Operators must keep two-factor sign-in on" in page and "/account/two-factor/off" not in page
    r = form_post(
        browser,
        "/account/two-factor",
        "/account/two-factor/off",
        password=PASSWORD,
        code=two_factor_code(platform, "operator@example.test"),
    )
    assert r.status_code == 403
    # Signing in again takes the code, and lands on the console.
    again = csrf_app.test_client()
    r = pass_two_factor(again, sign_in(again, "operator@example.test"))
    assert r.status_code == 302 and r.headers["Location"] == "/console/floors"


# -- the API -------------------------------------------------------------------------------------


def test_the_token_endpoint_asks_for_the_code(client, platform, people):
    enrol_two_factor(platform, "client@example.test")
    body = {"email": "client@example.test", "password": PASSWORD}
    r = client.post("/api/v1/auth/token", json=body)
    assert r.status_code == 401 and "code" in r.json["errors"]["json"]
    r = client.post("/api/v1/auth/token", json={**body, "code": "000000x"})
    assert r.status_code == 401 and r.json["errors"]["json"]["code"]
    code = two_factor_code(platform, "client@example.test")
    assert client.post("/api/v1/auth/token", json={**body, "code": code}).status_code == 201
    assert client.post("/api/v1/auth/token", json={**body, "code": code}).status_code == 401  # once


def test_an_operator_without_two_factor_gets_no_token(client, people):
    r = client.post("/api/v1/auth/token", json={"email": "operator@example.test", "password": PASSWORD})
    assert r.status_code == 403 and "/account/two-factor" in r.json["message"]


def test_an_app_enrols_makes_new_codes_and_turns_it_off(api, client, platform):
    me = api.signup("tasker")
    headers = api.headers(me)
    assert client.get("/api/v1/auth/two-factor", headers=headers).json == {
        "enabled": False,
        "enabled_at": None,
        "pending": False,
        "required": False,
        "recovery_codes_left": 0,
    }
    assert client.post("/api/v1/auth/two-factor/confirm", json={"code": "123456"}, headers=headers).status_code == 409
    r = client.post("/api/v1/auth/two-factor", headers=headers)
    assert r.status_code == 201 and r.json["otpauth_uri"].startswith("otpauth://totp/") and r.json["period"] == 30
    totp = pyotp.TOTP(r.json["secret"])
    r = client.post("/api/v1/auth/two-factor/confirm", json={"code": "12345"}, headers=headers)
    assert r.status_code == 422 and "code" in r.json["errors"]["json"]
    r = client.post("/api/v1/auth/two-factor/confirm", json={"code": totp.now()}, headers=headers)
    assert r.status_code == 200 and len(r.json["recovery_codes"]) == 10
    recovery = r.json["recovery_codes"]
    assert client.post("/api/v1/auth/two-factor", headers=headers).status_code == 409
    status = client.get("/api/v1/auth/two-factor", headers=headers).json
    assert status["enabled"] and status["recovery_codes_left"] == 10
    r = client.post("/api/v1/auth/two-factor/recovery-codes", json={"code": recovery[0]}, headers=headers)
    assert r.status_code == 200 and set(r.json["recovery_codes"]).isdisjoint(recovery)
    r = client.post("/api/v1/auth/two-factor/off", json={"password": "nope", "code": "111111"}, headers=headers)
    assert r.status_code == 422 and set(r.json["errors"]["json"]) >= {"password"}
    code = two_factor_code(platform, me["email"])
    r = client.post("/api/v1/auth/two-factor/off", json={"password": PASSWORD, "code": code}, headers=headers)
    assert r.status_code == 204
    assert client.get("/api/v1/auth/two-factor", headers=headers).json["enabled"] is False


def test_operators_cannot_turn_it_off_through_the_api(api, client, platform):
    op = api.signup("operator")  # enrolled, as operators must be
    code = two_factor_code(platform, op["email"])
    r = client.post("/api/v1/auth/two-factor/off", json={"password": PASSWORD, "code": code}, headers=api.headers(op))
    assert r.status_code == 403
    assert client.get("/api/v1/auth/two-factor", headers=api.headers(op)).json["required"] is True


# -- fuzzing the forms with two-factor pending and on (test_fuzz_forms.py runs them without) ------


def test_fuzzed_code_forms_never_answer_5xx(platform, people):
    app = create_app({"TESTING": True, **UNLIMITED}, platform=platform)
    enrol_two_factor(platform, "client@example.test")
    waiting = app.test_client()  # the password accepted, the code awaited
    sign_in(waiting, "client@example.test")
    on = app.test_client()  # signed in, two-factor on
    pass_two_factor(on, sign_in(on, "client@example.test"))
    starting = app.test_client()  # signed in, an enrolment started
    pass_two_factor(starting, sign_in(starting, "operator@example.test"))
    form_post(starting, "/account/two-factor", "/account/two-factor/start")
    cases = [
        (waiting, "/login/code", ["code"]),
        (on, "/account/two-factor/recovery-codes", ["code"]),
        (on, "/account/two-factor/off", ["password", "code"]),
        (starting, "/account/two-factor/confirm", ["code"]),
    ]
    for browser, path, names in cases:
        page = path if path == "/login/code" else "/account/two-factor"
        _fuzz(browser, path, names, csrf(browser.get(page).get_data(as_text=True)))
        assert browser.get(page).status_code == 200, path


def _fuzz(browser, path: str, names: list[str], token: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.e2e.test_fuzz_forms import value

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fields=st.fixed_dictionaries({}, optional={name: value for name in names}))
    def check(fields):
        r = browser.post(path, data={**fields, "csrf_token": token}, headers={"Accept": "text/html"})
        assert r.status_code in (200, 302, 400, 403, 422, 429), (path, fields, r.status_code)

    check()


def test_every_console_page_sends_an_operator_without_two_factor_to_set_it_up(platform, people):
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **UNLIMITED}, platform=platform)
    web = app.test_client()
    web.post("/login", data={"email": "operator@example.test", "password": PASSWORD})
    pages = [
        re.sub(r"<[^>]+>", "1", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console") and "GET" in (rule.methods or ())
    ]
    assert len(pages) >= 10
    for path in pages:
        r = web.get(path)
        assert r.status_code == 302 and r.headers["Location"] == "/account/two-factor", path
    assert "Operators must sign in with two-factor" in web.get("/account/two-factor").get_data(as_text=True)


def test_wrong_codes_at_the_token_endpoint_count_as_failed_sign_ins(platform, people):
    app = create_app({"TESTING": True, "RATELIMIT_LOGIN": "3 per minute"}, platform=platform)
    client = app.test_client()
    enrol_two_factor(platform, "client@example.test")
    body = {"email": "client@example.test", "password": PASSWORD}
    statuses = [client.post("/api/v1/auth/token", json={**body, "code": "999999"}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    code = two_factor_code(platform, "client@example.test")
    assert client.post("/api/v1/auth/token", json={**body, "code": code}).status_code == 429


def test_wrong_codes_on_the_api_forms_are_limited_per_account(api, platform):
    app = create_app({"TESTING": True, "RATELIMIT_TWO_FACTOR": "2 per minute"}, platform=platform)
    client = app.test_client()
    me = api.signup("tasker")
    headers = api.headers(me)
    secret = client.post("/api/v1/auth/two-factor", headers=headers).json["secret"]
    wrong = [client.post("/api/v1/auth/two-factor/confirm", json={"code": "x"}, headers=headers) for _ in range(3)]
    assert [r.status_code for r in wrong] == [422, 422, 429]
    right = client.post("/api/v1/auth/two-factor/confirm", json={"code": pyotp.TOTP(secret).now()}, headers=headers)
    assert right.status_code == 429
