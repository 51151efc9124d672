"""Web and session hardening, each a reproduction that failed before: open redirects, serve without
SECRET_KEY, cookie flags, security headers, sign-out, signup enumeration, weak passwords, token
expiry and revocation, tip and sign-in limits, and duplicate postings."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import select, update

from api import create_app
from cli import cli
from marketplace.accounts.models import ApiToken
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.tasks.models import Task
from tests.support import csrf, seeded

PASSWORD = "correct horse battery"


@pytest.fixture
def web(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def account(platform, email: str, role: str = "client") -> str:
    with platform.uow() as uow:
        create_user(uow.session, email, PASSWORD, role)
        uow.commit()
    return email


def sign_in(web, email: str, password: str = PASSWORD, next_url: str | None = None):
    token = csrf(web.get("/login").get_data(as_text=True))
    path = "/login" if next_url is None else f"/login?next={next_url}"
    return web.post(path, data={"email": email, "password": password, "csrf_token": token})


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%0d%0a/evil.example",
        "/ /evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_redirects_off_site(web, platform, target):
    account(platform, "c@example.test")
    r = sign_in(web, "c@example.test", next_url=target)
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")) and "evil" not in location, location


def test_sign_in_keeps_a_same_site_next(web, platform):
    account(platform, "c@example.test")
    assert sign_in(web, "c@example.test", next_url="/tasks/new").headers["Location"] == "/tasks/new"


def test_sign_out_kills_the_session_on_the_server(web, app, platform):
    account(platform, "c@example.test")
    sign_in(web, "c@example.test")
    assert web.get("/tasks").status_code == 200
    stolen = web.get_cookie("session").value
    token = csrf(web.get("/tasks/new").get_data(as_text=True))
    assert web.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    r = thief.get("/tasks")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_session_cookies_are_samesite_lax_and_secure_when_served_over_https(web, platform, make_platform, sqlite_url):
    account(platform, "c@example.test")
    cookie = sign_in(web, "c@example.test").headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    served = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": True}, platform=seeded(make_platform(sqlite_url, https_only=True))
    ).test_client()
    account(served.application.extensions["floorboard"], "d@example.test")
    cookie = sign_in(served, "d@example.test").headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie
    assert "max-age=" in served.get("/login").headers["Strict-Transport-Security"]


def test_every_answer_carries_the_security_headers(client):
    for path in ("/login", "/api/v1/categories", "/boards", "/api/docs"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, path
        assert "script-src 'self'" in policy and "https://js.stripe.com" in policy
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert (
        "'unsafe-inline'"
        not in client.get("/login").headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert "Strict-Transport-Security" not in client.get("/login").headers  # plain HTTP in development


def test_serve_refuses_to_start_without_a_real_secret_key(monkeypatch, tmp_path):
    from cli import serve as cli_module
    from marketplace import settings

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(settings, "INSTANCE_DIR", tmp_path)
    launched = []
    monkeypatch.setattr(cli_module.os, "execvpe", lambda *a: launched.append(a))
    runner = CliRunner()
    r = runner.invoke(cli, ["serve"])
    assert r.exit_code == 1 and "SECRET_KEY is not set" in r.output and launched == []
    (tmp_path / "secret_key").write_text("a-development-key-that-is-long-enough-to-pass")
    monkeypatch.setenv("SECRET_KEY", "a-development-key-that-is-long-enough-to-pass")
    r = runner.invoke(cli, ["serve"])
    assert r.exit_code == 1 and "development key" in r.output and launched == []
    monkeypatch.setenv("SECRET_KEY", "short")
    assert runner.invoke(cli, ["serve"]).exit_code == 1 and launched == []
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    r = runner.invoke(cli, ["serve"])  # the suite's own cheap password hashing is refused in production
    assert r.exit_code == 1 and "FLOORBOARD_PASSWORD_HASHING" in r.output and launched == []
    monkeypatch.delenv("FLOORBOARD_PASSWORD_HASHING")
    assert runner.invoke(cli, ["serve"]).exit_code == 0
    assert launched and launched[0][2]["FLOORBOARD_HTTPS_ONLY"] == "1"


def test_web_signup_answers_the_same_for_a_known_email(web, platform):
    account(platform, "known@example.test")

    def signup(email):
        token = csrf(web.get("/signup").get_data(as_text=True))
        return web.post(
            "/signup",
            data={
                "email": email,
                "display_name": "X",
                "password": "a long new secret",
                "confirm": "a long new secret",
                "role": "client",
                "csrf_token": token,
            },
        )

    known, new = signup("known@example.test"), signup("new@example.test")
    assert known.status_code == new.status_code == 302
    assert known.headers["Location"].replace("known", "new") == new.headers["Location"]
    assert sign_in(web, "known@example.test", "a long new secret").status_code == 400  # not taken over


def test_failed_signups_are_rate_limited_too(app, client):
    app.config.update(RATELIMIT_SIGNUP="3 per hour")
    bad = {"email": "x@example.test", "password": "short", "role": "client"}
    codes = [client.post("/api/v1/users", json=bad).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


@pytest.mark.parametrize(
    "password", ["password123", "qwertyuiop", "1234567890", "iloveyou12", "abcdefghij", "aaaaaaaaaa"]
)
def test_common_passwords_are_refused(client, password):
    r = client.post("/api/v1/users", json={"email": "someone@example.test", "password": password, "role": "client"})
    assert r.status_code == 422 and "password" in r.json["errors"]["json"], r.json


def test_tokens_expire_and_their_owner_lists_and_revokes_them(client, api, platform):
    me, other = api.signup("tasker"), api.signup("tasker")
    issued = client.post("/api/v1/auth/token", json={"email": me["email"], "password": PASSWORD}).json
    assert issued["expires_at"] > utcnow().isoformat()
    mine = client.get("/api/v1/auth/tokens", headers=api.headers(me)).json
    assert issued["id"] in [t["id"] for t in mine] and all("token" not in t for t in mine)
    assert client.delete(f"/api/v1/auth/tokens/{issued['id']}", headers=api.headers(other)).status_code == 404
    assert client.delete(f"/api/v1/auth/tokens/{issued['id']}", headers=api.headers(me)).status_code == 204
    second = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/v1/taskers/me/skills", headers=second).status_code == 401
    # An expired token no longer works.
    with platform.uow() as uow:
        uow.session.exec(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    # Every request reads its token, so an expiry moved in the database is seen at once.
    assert client.get("/api/v1/taskers/me/skills", headers=api.headers(me)).status_code == 401


def test_a_used_token_lapses_at_its_expiry_and_a_revoked_one_at_once(client, api, platform):
    me = api.signup("tasker")
    auth = api.headers(me)
    assert client.get("/api/v1/taskers/me/skills", headers=auth).status_code == 200  # used a moment ago
    with platform.uow() as uow:
        uow.session.exec(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    assert client.get("/api/v1/taskers/me/skills", headers=auth).status_code == 401
    other = api.signup("tasker")
    assert client.get("/api/v1/taskers/me/skills", headers=api.headers(other)).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=api.headers(other)).status_code in (200, 204)
    assert client.get("/api/v1/taskers/me/skills", headers=api.headers(other)).status_code == 401


def test_tip_posting_is_rate_limited(app, api):
    app.config.update(RATELIMIT_TIPS="3 per minute")
    tasker = api.signup("tasker")
    codes = [
        api.client.post(
            "/api/v1/boards/yard-work/tips", headers=api.headers(tasker), json={"title": f"Tip {n}", "body": "Body."}
        ).status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 201, 429]


def test_web_and_api_sign_in_share_one_failure_counter(app, web, platform):
    app.config.update(RATELIMIT_LOGIN="4 per minute")
    account(platform, "c@example.test")
    assert [sign_in(web, "c@example.test", "wrong guess").status_code for _ in range(2)] == [400, 400]
    wrong = {"email": "c@example.test", "password": "wrong guess"}
    codes = [web.post("/api/v1/auth/token", json=wrong).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_an_idempotency_key_returns_the_first_task(client, api, platform):
    who = api.signup("client")
    headers = {**api.headers(who), "Idempotency-Key": "order-7f3a"}
    body = {
        "category": "yard-work",
        "region": "springfield",
        "title": "Rake",
        "estimated_minutes": 60,
        "starts_at": "2030-06-01T09:00:00Z",
    }
    first = client.post("/api/v1/tasks", json=body, headers=headers)
    again = client.post("/api/v1/tasks", json=body, headers=headers)
    assert first.status_code == again.status_code == 202 and first.json["id"] == again.json["id"]
    assert (first.headers["Idempotent-Replayed"], again.headers["Idempotent-Replayed"]) == ("false", "true")
    changed = client.post("/api/v1/tasks", json={**body, "title": "Something else"}, headers=headers)
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json["errors"]["json"]
    bad = client.post("/api/v1/tasks", json=body, headers={**api.headers(who), "Idempotency-Key": "x" * 256})
    assert bad.status_code == 422
    with platform.uow() as uow:
        assert len(uow.session.exec(select(Task)).all()) == 1


def test_concurrent_posts_with_one_key_make_one_task(make_platform, postgres_url):
    platform = seeded(make_platform(postgres_url))
    app = create_app({"TESTING": True}, platform=platform)
    with platform.uow() as uow:
        create_user(uow.session, "c@example.test", PASSWORD, "client")
        uow.commit()
    token = app.test_client().post("/api/v1/auth/token", json={"email": "c@example.test", "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {token['token']}", "Idempotency-Key": "same-key-twice"}
    body = {
        "category": "yard-work",
        "region": "springfield",
        "title": "Rake",
        "estimated_minutes": 60,
        "starts_at": "2030-06-01T09:00:00Z",
    }
    answers, start = [], threading.Barrier(6)

    def post():
        client = app.test_client()
        start.wait()
        answers.append(client.post("/api/v1/tasks", json=body, headers=headers))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [202] * 6
    assert len({a.json["id"] for a in answers}) == 1
    with platform.uow() as uow:
        assert len(uow.session.exec(select(Task)).all()) == 1


def test_a_task_form_sent_twice_posts_once(web, platform):
    account(platform, "c@example.test")
    sign_in(web, "c@example.test")
    page = web.get("/tasks/new").get_data(as_text=True)
    form_token = page.split('name="form_token" type="hidden" value="')[1].split('"')[0]
    data = {
        "category": "yard-work",
        "region": "springfield",
        "title": "Mow",
        "estimated_minutes": "60",
        "starts_at": "2031-06-01T09:00",
        "action": "post",
        "csrf_token": csrf(page),
        "form_token": form_token,
    }
    first, second = web.post("/tasks/new", data=data), web.post("/tasks/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with platform.uow() as uow:
        assert len(uow.session.exec(select(Task)).all()) == 1
