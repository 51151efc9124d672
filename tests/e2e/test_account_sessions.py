"""Sessions and tokens you can see (issue 34): the /account hub, /account/sessions (each browser
and token with its start, last use and client, on the reader's clock; ended one by one or all but
this browser), the password change (the other sessions and every token end), the email a sign-in
from an unseen device sends (and none for a known one), and the same on the API at
/api/v1/me/sessions and /api/v1/me/password.

Over 400 lines on purpose: one feature, sessions and tokens on the web and the API; its tests share
the signed-in people."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import col, select, update

from api import create_app
from api.rest.account_sessions_schemas import EXAMPLES
from marketplace.accounts.devices import DEVICE_COOKIE
from marketplace.accounts.models import ApiToken, User, WebSession
from marketplace.accounts.tokens import token_hash
from marketplace.accounts.users import create_user
from marketplace.notifications.kinds.account_security import NEW_SIGN_IN, PASSWORD_CHANGED
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from marketplace.taskers.skills import SkillSpec, set_skills
from tests.support import UNLIMITED, csrf, make_operator, pass_two_factor

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a lantern by the harbour"
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)
REQUESTS = "python-requests/2.32.3"


@pytest.fixture
def app(platform):
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": True, **UNLIMITED}, platform=platform)


def person(platform, email: str = "sam@example.test", role: str = "client") -> int:
    with platform.uow() as uow:
        user = create_user(uow.session, email, PASSWORD, role)
        uow.commit()
    return user.id


def browser(app, agent: str = FIREFOX_ANDROID):
    web = app.test_client()
    web.environ_base["HTTP_USER_AGENT"] = agent
    return web


def web_sign_in(web, email: str = "sam@example.test", password: str = PASSWORD):
    token = csrf(web.get("/login").get_data(as_text=True))
    return pass_two_factor(web, web.post("/login", data={"email": email, "password": password, "csrf_token": token}))


def api_token(app, email: str = "sam@example.test", agent: str = REQUESTS, name: str = "") -> dict:
    body = {"email": email, "password": PASSWORD, **({"name": name} if name else {})}
    answer = app.test_client().post("/api/v1/auth/token", json=body, headers={"User-Agent": agent})
    assert answer.status_code == 201, answer.json
    return {"Authorization": f"Bearer {answer.json['token']}", "id": answer.json["id"]}


def bearer(token: dict) -> dict:
    return {"Authorization": token["Authorization"]}


def form_token(web, path: str = "/account/sessions") -> str:
    return csrf(web.get(path).get_data(as_text=True))


def mail(platform, kind: str) -> list[tuple[str, str, str]]:
    """(to, subject, plain text) of each email of this kind written so far."""
    with platform.uow() as uow:
        rows = uow.session.exec(
            select(Notification).where(col(Notification.kind) == kind).order_by(col(Notification.id))
        ).all()
        return [(row.to_address, *render_row(row)[:2]) for row in rows]


# The hub ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["client", "tasker", "operator"])
def test_the_account_hub_links_every_account_page_this_site_has(app, platform, role):
    if role == "operator":
        make_operator(platform, "sam@example.test")
    else:
        person(platform, role=role)
    web = browser(app)
    web_sign_in(web)
    page = web.get("/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for endpoint, path in [
        ("web.account_sessions", "/account/sessions"),
        ("web.account_password", "/account/password"),
        ("web.email_preferences", "/account/notifications"),
        ("web.two_factor", "/account/two-factor"),
        ("web.account_data", "/account/data"),
        ("web.close_account", "/account/close"),
    ]:
        if endpoint in app.view_functions:
            assert f'data-section="{endpoint}"><a href="{path}"' in html, endpoint
        else:
            assert f'data-section="{endpoint}"' not in html  # a section this site lacks is not linked
    assert '<a href="/account">Account</a>' in html  # the header's link, for every signed-in role


def test_the_hub_is_for_signed_in_people(app):
    answer = app.test_client().get("/account")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


# The sessions page ------------------------------------------------------------------------------


def test_the_page_lists_each_browser_and_token_with_its_client_and_marks_this_one(app, platform):
    person(platform)
    phone, laptop = browser(app, FIREFOX_ANDROID), browser(app, SAFARI_IPHONE)
    web_sign_in(phone)
    web_sign_in(laptop)
    api_token(app, name="Sam's bot")
    html = phone.get("/account/sessions").get_data(as_text=True)
    assert html.count("data-session=") == 2 and html.count("data-token=") == 1
    this = re.search(r'<tr data-session="([^"]+)" data-current="true">\s*<td data-label="Browser">([^<]+)', html)
    assert this and this.group(2).strip() == "Firefox on Android"
    assert "Safari on iOS" in html and "Sam&#39;s bot, Python Requests" in html
    assert "(your account has no region)" in html and " UTC</time>" in html  # a client with no task: UTC, said so
    # The public ids are neither the cookies' values nor their hashes.
    with platform.uow() as uow:
        rows = uow.session.exec(select(WebSession)).all()
    for row in rows:
        assert row.id_hash not in html
        assert len(row.public_id) >= 16
    with phone.session_transaction() as cookie:
        assert cookie["sid"] not in html and token_hash(cookie["sid"]) not in html


def test_times_are_on_a_taskers_first_region_clock(app, platform):
    tasker = person(platform, role="tasker")
    with platform.uow() as uow:
        set_skills(uow, tasker, ["springfield"], [SkillSpec("yard-work", 2500)])
        uow.commit()
    web = browser(app)
    web_sign_in(web)
    html = web.get("/account/sessions").get_data(as_text=True)
    assert "Times are on Central time (C" in html and "(your account has no region)" not in html
    assert re.search(r"<time datetime=[^>]+>\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T</time>", html)


def test_ending_another_browser_signs_it_out_and_revoking_a_token_refuses_it_at_once(app, platform):
    person(platform)
    phone, laptop = browser(app, FIREFOX_ANDROID), browser(app, SAFARI_IPHONE)
    web_sign_in(phone)
    web_sign_in(laptop)
    token = api_token(app)
    api = app.test_client()
    assert api.get("/api/v1/me/sessions", headers=bearer(token)).status_code == 200
    html = phone.get("/account/sessions").get_data(as_text=True)
    other = re.search(r'<tr data-session="([^"]+)">', html).group(1)  # not the current one
    ended = phone.post(f"/account/sessions/{other}/end", data={"csrf_token": form_token(phone)})
    assert ended.status_code == 303
    assert "Session ended" in phone.get("/account/sessions").get_data(as_text=True)
    assert laptop.get("/account").status_code == 302  # signed out: sent to sign in
    revoked = phone.post(f"/account/tokens/{token['id']}/revoke", data={"csrf_token": form_token(phone)})
    assert revoked.status_code == 303
    assert api.get("/api/v1/me/sessions", headers=bearer(token)).status_code == 401
    assert phone.get("/account").status_code == 200  # this browser is still signed in


def test_forms_without_a_csrf_token_change_nothing(app, platform):
    person(platform)
    phone, laptop = browser(app), browser(app, SAFARI_IPHONE)
    web_sign_in(phone)
    web_sign_in(laptop)
    token = api_token(app)
    html = phone.get("/account/sessions").get_data(as_text=True)
    other = re.search(r'<tr data-session="([^"]+)">', html).group(1)
    assert phone.post(f"/account/sessions/{other}/end").status_code in (303, 400)
    assert phone.post(f"/account/tokens/{token['id']}/revoke").status_code in (303, 400)
    assert phone.post("/account/sessions/end-others", data={"what": "all"}).status_code in (303, 400)
    assert laptop.get("/account").status_code == 200
    assert app.test_client().get("/api/v1/me/sessions", headers=bearer(token)).status_code == 200


def test_someone_elses_session_or_token_is_as_good_as_unknown(app, platform):
    person(platform)
    person(platform, "eve@example.test")
    sam, eve = browser(app), browser(app, SAFARI_IPHONE)
    web_sign_in(sam)
    web_sign_in(eve, "eve@example.test")
    token = api_token(app)
    sams = re.search(r'data-session="([^"]+)"', sam.get("/account/sessions").get_data(as_text=True)).group(1)
    ended = eve.post(f"/account/sessions/{sams}/end", data={"csrf_token": form_token(eve)})
    assert ended.status_code == 404 and "No such session of yours" in ended.get_data(as_text=True)
    revoked = eve.post(f"/account/tokens/{token['id']}/revoke", data={"csrf_token": form_token(eve)})
    assert revoked.status_code == 404 and f"No token {token['id']} of yours" in revoked.get_data(as_text=True)
    assert sam.get("/account").status_code == 200
    assert app.test_client().get("/api/v1/me/sessions", headers=bearer(token)).status_code == 200
    api = app.test_client()
    evetoken = api_token(app, "eve@example.test")
    assert api.delete(f"/api/v1/me/sessions/{sams}", headers=bearer(evetoken)).status_code == 404
    assert sam.get("/account").status_code == 200


@pytest.mark.parametrize(
    ("what", "sessions_left", "token_works"), [("sessions", 1, True), ("tokens", 2, False), ("all", 1, False)]
)
def test_end_all_others_keeps_this_browser(app, platform, what, sessions_left, token_works):
    person(platform)
    phone, laptop = browser(app), browser(app, SAFARI_IPHONE)
    web_sign_in(phone)
    web_sign_in(laptop)
    token = api_token(app)
    answer = phone.post("/account/sessions/end-others", data={"csrf_token": form_token(phone), "what": what})
    assert answer.status_code == 303
    assert phone.get("/account").status_code == 200
    assert (laptop.get("/account").status_code == 200) == (sessions_left == 2)
    works = app.test_client().get("/api/v1/me/sessions", headers=bearer(token)).status_code == 200
    assert works == token_works


def test_last_use_is_written_at_most_once_a_minute(app, platform):
    person(platform)
    token = api_token(app)
    api = app.test_client()
    api.get("/api/v1/me/sessions", headers=bearer(token))
    with platform.uow() as uow:
        first = uow.session.get(ApiToken, token["id"]).last_used_at
    assert first is not None
    for _ in range(3):
        api.get("/api/v1/me/sessions", headers=bearer(token))
    with platform.uow() as uow:
        assert uow.session.get(ApiToken, token["id"]).last_used_at == first  # no write per request
        uow.session.exec(
            update(ApiToken).where(col(ApiToken.id) == token["id"]).values(last_used_at=first - timedelta(minutes=2))
        )
        uow.commit()
    api.get("/api/v1/me/sessions", headers=bearer(token))
    with platform.uow() as uow:
        assert uow.session.get(ApiToken, token["id"]).last_used_at > first  # a minute on: written again
    # The same for a browser's session.
    web = browser(app)
    web_sign_in(web)
    with platform.uow() as uow:
        row = uow.session.exec(select(WebSession)).one()
        started = row.last_used_at
        uow.session.exec(update(WebSession).values(last_used_at=started - timedelta(minutes=5)))
        uow.commit()
    web.get("/account")
    web.get("/account")
    with platform.uow() as uow:
        assert uow.session.exec(select(WebSession)).one().last_used_at >= started


# The password ------------------------------------------------------------------------------------


def test_a_password_change_ends_the_other_sessions_and_every_token_and_is_emailed(app, platform):
    person(platform)
    phone, laptop = browser(app), browser(app, SAFARI_IPHONE)
    web_sign_in(phone)
    web_sign_in(laptop)
    tokens = [api_token(app), api_token(app, name="bot")]
    api = app.test_client()
    token = form_token(phone, "/account/password")
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token}
    answer = phone.post("/account/password", data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    assert "1 other session ended and 2 API tokens revoked" in phone.get("/account").get_data(as_text=True)
    assert laptop.get("/account").status_code == 302  # signed out
    assert all(api.get("/api/v1/me/sessions", headers=bearer(t)).status_code == 401 for t in tokens)
    [(to, subject, text)] = mail(platform, PASSWORD_CHANGED)
    assert to == "sam@example.test" and subject == "Your Floorboard password was changed"
    assert re.search(r"changed on \d{4}-\d\d-\d\d at \d\d:\d\d UTC, from Firefox on Android\.", text)
    assert "Your sessions and tokens: http://127.0.0.1:5000/account/sessions" in text
    # The new password signs in; the old one no longer does.
    assert web_sign_in(browser(app), password=PASSWORD).status_code == 400
    assert web_sign_in(browser(app), password=NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "said"),
    [
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "current_password", "That is not your current password."),
        (PASSWORD, "password123", "password123", "new_password", "most common passwords"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password", "This is your current password"),
        (PASSWORD, NEW_PASSWORD, "something else!", "confirm", "The new passwords differ."),
        (PASSWORD, "short", "short", "new_password", "Must be 10 to 200 characters long."),
    ],
)
def test_a_refused_password_change_shows_the_form_again_with_the_fields_error(
    app, platform, current, new, confirm, field, said
):
    person(platform)
    web, other = browser(app), browser(app, SAFARI_IPHONE)
    web_sign_in(web)
    web_sign_in(other)
    form = {"current_password": current, "new_password": new, "confirm": confirm}
    answer = web.post("/account/password", data={**form, "csrf_token": form_token(web, "/account/password")})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(rf'<p class="error" id="{field}-error">[^<]*{re.escape(said)}', html.replace("&#39;", "'"))
    assert other.get("/account").status_code == 200 and mail(platform, PASSWORD_CHANGED) == []


def test_wrong_current_passwords_are_rate_limited_like_sign_ins(app, platform):
    app.config.update(RATELIMIT_LOGIN="3 per minute")
    person(platform)
    web = browser(app)
    web_sign_in(web)
    token = form_token(web, "/account/password")
    wrong = {"current_password": "a wrong guess", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    codes = [web.post("/account/password", data={**wrong, "csrf_token": token}).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


# New devices -------------------------------------------------------------------------------------


def test_a_sign_in_from_an_unseen_device_is_emailed_and_a_known_one_is_not(app, platform):
    person(platform)
    phone = browser(app, FIREFOX_ANDROID)
    web_sign_in(phone)  # the first sign-in of all: nothing to compare with
    assert mail(platform, NEW_SIGN_IN) == []
    device = phone.get_cookie(DEVICE_COOKIE)
    assert device is not None and device.http_only and len(device.value) >= 16
    phone.post("/logout", data={"csrf_token": form_token(phone)})
    web_sign_in(phone)  # the same browser again: known by its device cookie
    assert mail(platform, NEW_SIGN_IN) == []
    web_sign_in(browser(app, SAFARI_IPHONE))  # a browser never seen
    [(to, subject, text)] = mail(platform, NEW_SIGN_IN)
    assert to == "sam@example.test" and subject == "A new sign-in to your Floorboard account"
    assert re.search(r"on the web on \d{4}-\d\d-\d\d at \d\d:\d\d UTC, from Safari on iOS\.", text)
    assert "Your sessions and tokens: http://127.0.0.1:5000/account/sessions" in text  # the public URL's page
    # An app asking for a token is known by its User-Agent.
    api_token(app, agent=REQUESTS)
    api_token(app, agent=REQUESTS)
    assert len(mail(platform, NEW_SIGN_IN)) == 2
    assert "through the API (a new token)" in mail(platform, NEW_SIGN_IN)[1][2]


def test_the_email_link_leads_to_the_sessions_page(app, platform):
    person(platform)
    web_sign_in(browser(app))
    reader = browser(app, SAFARI_IPHONE)
    web_sign_in(reader)
    [(_, _, text)] = mail(platform, NEW_SIGN_IN)
    path = re.search(r"https?://[^/\s]+(/account/sessions)\b", text).group(1)
    page = reader.get(path)
    assert page.status_code == 200 and "Signed-in browsers" in page.get_data(as_text=True)


# The API ----------------------------------------------------------------------------------------


def test_the_api_lists_sessions_and_tokens_and_marks_the_current_token(app, platform):
    person(platform)
    web_sign_in(browser(app, FIREFOX_ANDROID))
    mine, other = api_token(app, name="phone app"), api_token(app, agent="curl/8.4.0")
    listed = app.test_client().get("/api/v1/me/sessions", headers=bearer(mine))
    assert listed.status_code == 200
    body = listed.json
    assert [s["client"] for s in body["sessions"]] == ["Firefox on Android"]
    assert body["sessions"][0]["current"] is False and body["sessions"][0]["kind"] == "session"
    tokens = {t["id"]: t for t in body["tokens"]}
    assert tokens[str(mine["id"])]["current"] is True and tokens[str(mine["id"])]["name"] == "phone app"
    assert tokens[str(other["id"])]["current"] is False and tokens[str(other["id"])]["client"] == "curl"
    assert body["tokens"][0]["id"] == str(mine["id"])  # the current one first
    fields = {"id", "kind", "created_at", "last_used_at", "client", "current", "name", "expires_at"}
    assert all(set(item) <= fields for item in body["sessions"] + body["tokens"])  # never a token or hash
    old = app.test_client().get("/api/v1/auth/tokens", headers=bearer(mine)).json  # the older list still works
    assert {t["id"] for t in old} == {mine["id"], other["id"]} and all("last_used_at" in t for t in old)


def test_the_api_ends_a_session_and_everything_else(app, platform):
    person(platform)
    web = browser(app)
    web_sign_in(web)
    mine, other = api_token(app), api_token(app, agent="curl/8.4.0")
    api = app.test_client()
    [session] = api.get("/api/v1/me/sessions", headers=bearer(mine)).json["sessions"]
    assert api.delete(f"/api/v1/me/sessions/{session['id']}", headers=bearer(mine)).status_code == 204
    assert web.get("/account").status_code == 302
    assert api.delete(f"/api/v1/me/sessions/{session['id']}", headers=bearer(mine)).status_code == 404
    for bad in ("..%2F..", "%00", "x" * 65, "%E2%80%AE"):
        assert api.delete(f"/api/v1/me/sessions/{bad}", headers=bearer(mine)).status_code == 404, bad
    web_sign_in(web)
    answer = api.post("/api/v1/me/sessions/end-others", json={}, headers=bearer(mine))
    assert answer.status_code == 200 and answer.json["sessions_ended"] == 1 and answer.json["tokens_revoked"] == 1
    assert api.get("/api/v1/me/sessions", headers=bearer(other)).status_code == 401
    assert api.get("/api/v1/me/sessions", headers=bearer(mine)).status_code == 200
    assert web.get("/account").status_code == 302
    refused = api.post("/api/v1/me/sessions/end-others", json={"what": "everything"}, headers=bearer(mine))
    assert refused.status_code == 422 and "what" in refused.json["errors"]["json"]


def test_the_api_changes_the_password_keeping_the_calling_token(app, platform):
    person(platform)
    web = browser(app)
    web_sign_in(web)
    mine, other = api_token(app), api_token(app, agent="curl/8.4.0")
    api = app.test_client()
    wrong = api.post(
        "/api/v1/me/password", json={"current_password": "nope", "new_password": NEW_PASSWORD}, headers=bearer(mine)
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]["json"]
    weak = api.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "password123"}, headers=bearer(mine)
    )
    assert weak.status_code == 422 and "new_password" in weak.json["errors"]["json"]
    done = api.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={**bearer(mine), "User-Agent": REQUESTS},
    )
    assert done.status_code == 200 and (done.json["sessions_ended"], done.json["tokens_revoked"]) == (1, 1)
    assert api.get("/api/v1/me/sessions", headers=bearer(other)).status_code == 401
    assert api.get("/api/v1/me/sessions", headers=bearer(mine)).status_code == 200
    assert web.get("/account").status_code == 302
    [(_, _, text)] = mail(platform, PASSWORD_CHANGED)
    assert "from Python Requests" in text
    with platform.uow() as uow:
        assert uow.session.exec(select(User)).one().password_hash  # changed in place, one account


def test_the_examples_in_the_api_docs_load(app):
    from api.rest import account_sessions_schemas

    for schema, example in EXAMPLES.items():
        assert schema().validate(example) == {}, schema
    assert account_sessions_schemas.EndOthersSchema().load({}) == {"what": "all"}
