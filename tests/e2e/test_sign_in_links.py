"""Signing up signs you in by a link: signup answers the same whether or not the email has an
account, and the address gets an email either way, a welcome for a new account or "you already
have an account" for a known one, each with a link that signs its owner in once, within 30
minutes. Opening the link asks first (a mail scanner opening it spends nothing); the button signs
in, and a second use, an expired link, a made-up link and a closed account get nothing; an
account with two-factor still needs its code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import col, select, update

from api import create_app
from marketplace.accounts.models import User
from marketplace.accounts.sign_in_links import SignInLink
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.notifications.letters import render_row
from marketplace.notifications.models import Notification
from tests.support import UNLIMITED, csrf, enrol_two_factor

PASSWORD = "a long new secret"


@pytest.fixture
def web(platform):
    return create_app({"TESTING": True, **UNLIMITED}, platform=platform).test_client()  # CSRF on


def _sign_up(web, email: str):
    token = csrf(web.get("/signup").get_data(as_text=True))
    form = {"email": email, "display_name": "Sam", "password": PASSWORD, "confirm": PASSWORD, "role": "client"}
    return web.post("/signup", data={**form, "csrf_token": token})


def _letter(platform, email: str) -> tuple[str, str]:
    with platform.uow() as uow:
        row = uow.session.exec(
            select(Notification).where(col(Notification.to_address) == email).order_by(col(Notification.id).desc())
        ).first()
        assert row is not None, f"no email to {email}"
        subject, text, _ = render_row(row)
        return subject, text


def _link(text: str) -> str:
    found = re.search(r"https?://[^/\s]+(/login/link/[A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def _use(web, path: str):
    page = web.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return web.post(path, data={"csrf_token": csrf(page.get_data(as_text=True))})


def test_a_new_account_is_signed_in_by_the_link_in_its_welcome(web, platform):
    answer = _sign_up(web, "sam@example.test")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    subject, text = _letter(platform, "sam@example.test")
    assert subject == "Welcome to Floorboard: sign in" and "in the next 30 minutes" in text
    path = _link(text)
    assert web.get("/tasks/new").status_code == 302  # not signed in by signing up alone
    opened = web.get(path)
    assert "signs you in as <strong>sam@example.test</strong>" in opened.get_data(as_text=True)
    assert web.get("/tasks/new").status_code == 302  # opening the link spends nothing
    signed = _use(web, path)
    assert signed.status_code == 302
    assert web.get("/tasks/new").status_code == 200  # signed in: the client's form
    web.post("/logout", data={"csrf_token": csrf(web.get("/tasks/new").get_data(as_text=True))})
    again = web.get(path)
    assert again.status_code == 410 and 'data-link="spent"' in again.get_data(as_text=True)
    token = csrf(web.get("/login").get_data(as_text=True))
    assert web.post(path, data={"csrf_token": token}).status_code == 410  # the button, a second time


def test_a_known_email_gets_the_same_answer_and_a_letter_saying_so(web, platform):
    with platform.uow() as uow:
        create_user(uow.session, "kim@example.test", "kims own password", "tasker", "Kim")
        uow.commit()
    known, new = _sign_up(web, "kim@example.test"), _sign_up(web, "lee@example.test")
    assert known.status_code == new.status_code == 302
    assert known.headers["Location"].replace("kim", "lee") == new.headers["Location"]
    subject, text = _letter(platform, "kim@example.test")
    assert subject == "You already have a Floorboard account" and "your password is unchanged" in text
    with platform.uow() as uow:  # the account was not taken over: its role and password stand
        kim = uow.session.exec(select(User).where(col(User.email) == "kim@example.test")).one()
        assert kim.role == "tasker" and kim.display_name == "Kim"
    assert _use(web, _link(text)).status_code == 302
    assert web.get("/me").status_code == 200  # the owner is signed in, as the tasker they are


def test_an_expired_a_made_up_or_a_closed_accounts_link_signs_nobody_in(web, platform):
    _sign_up(web, "ash@example.test")
    path = _link(_letter(platform, "ash@example.test")[1])
    with platform.uow() as uow:
        uow.session.exec(update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    assert web.get(path).status_code == 410
    assert web.get("/login/link/" + "x" * 43).status_code == 410
    assert web.get("/login/link/%00").status_code in (404, 410)
    _sign_up(web, "bo@example.test")
    path = _link(_letter(platform, "bo@example.test")[1])
    with platform.uow() as uow:
        uow.session.exec(update(User).where(col(User.email) == "bo@example.test").values(is_active=False))
        uow.commit()
    assert web.get(path).status_code == 410
    with platform.uow() as uow:  # only the link's hash is kept
        stored = {row.token_hash for row in uow.session.exec(select(SignInLink))}
    assert path.rsplit("/", 1)[1] not in stored and all(len(h) == 64 for h in stored)


def test_a_link_does_not_skip_two_factor(web, platform):
    _sign_up(web, "di@example.test")
    enrol_two_factor(platform, "di@example.test")
    path = _link(_letter(platform, "di@example.test")[1])
    answer = _use(web, path)
    assert answer.status_code == 302 and "/login/code" in answer.headers["Location"]
    assert web.get("/tasks/new").status_code == 302  # not signed in before the code
