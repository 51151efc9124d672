"""Two-factor sign-in from the command line and the demo: `floorboard users create-operator` says
how the new operator sets it up; `floorboard users reset-two-factor` turns it off for someone who
lost their phone and codes, and signs them out everywhere; the demo operator of `floorboard dev`
signs in with a code from its published key."""

from __future__ import annotations

import pyotp
import pytest
from click.testing import CliRunner
from sqlmodel import col, select

from api import create_app
from cli import cli
from cli.demo import DEMO_OPERATOR_TOTP_SECRET, DEMO_USERS, seed_demo
from marketplace.accounts import two_factor
from marketplace.accounts.models import User
from marketplace.accounts.tokens import issue_token, tokens_of
from tests.support import UNLIMITED, enrol_two_factor, pass_two_factor, two_factor_code


@pytest.fixture
def run(platform, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", platform.settings.database_url)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    runner = CliRunner()

    def invoke(*args, **kwargs):
        return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke


def test_a_new_operator_is_told_how_to_enrol_and_a_reset_signs_them_out(run, platform, monkeypatch):
    monkeypatch.setenv("FLOORBOARD_OPERATOR_PASSWORD", "a long operator password")
    r = run("users", "create-operator", "ops@example.test")
    assert r.exit_code == 0 and "/account/two-factor" in r.output and "authenticator app" in r.output
    r = run("users", "reset-two-factor", "ops@example.test", "--yes")
    assert r.exit_code == 1 and "has no two-factor sign-in" in r.output
    assert run("users", "reset-two-factor", "nobody@example.test", "--yes").exit_code == 1

    enrol_two_factor(platform, "ops@example.test")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **UNLIMITED}, platform=platform)
    web = app.test_client()
    answer = web.post("/login", data={"email": "ops@example.test", "password": "a long operator password"})
    assert pass_two_factor(web, answer).headers["Location"] == "/console/floors"
    with platform.uow() as uow:
        ops = uow.session.exec(select(User).where(col(User.email) == "ops@example.test")).one()
        issue_token(uow.session, ops)
        uow.commit()

    r = run("users", "reset-two-factor", "ops@example.test", input="n\n")
    assert r.exit_code == 1  # asked, and not confirmed
    r = run("users", "reset-two-factor", "ops@example.test", "--yes")
    assert r.exit_code == 0 and "1 session(s) and 1 API token(s) ended" in r.output
    assert "/account/two-factor" in r.output  # an operator: how to set it up again
    with platform.uow() as uow:
        assert not two_factor.is_enrolled(uow.session, ops.id) and tokens_of(uow.session, ops) == []
    assert web.get("/console/floors").status_code == 302  # signed out
    answer = web.post("/login", data={"email": "ops@example.test", "password": "a long operator password"})
    assert answer.headers["Location"] == "/account/two-factor"  # to set it up again


def test_the_demo_operator_signs_in_with_a_code_from_its_published_key(platform):
    with platform.uow() as uow:
        seed_demo(uow, demo_users=True)
        seed_demo(uow, demo_users=True)  # idempotent: the key stays the published one
        uow.commit()
    email, password = DEMO_USERS[2][0], DEMO_USERS[2][1]
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **UNLIMITED}, platform=platform)
    web = app.test_client()
    answer = web.post("/login", data={"email": email, "password": password})
    assert answer.headers["Location"].startswith("/login/code")
    r = web.post("/login/code", data={"code": pyotp.TOTP(DEMO_OPERATOR_TOTP_SECRET).now()})
    assert r.status_code == 302 and r.headers["Location"] == "/console/floors"
    token = app.test_client().post(
        "/api/v1/auth/token", json={"email": email, "password": password, "code": two_factor_code(platform, email)}
    )
    assert token.status_code == 201
