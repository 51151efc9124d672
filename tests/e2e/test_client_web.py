"""Clients on the web (forms with CSRF): sign up, preview and post a task, follow it, cancel by
the policy, review; the tips boards; XSS stays inert; web pages check role and ownership; and
sign-in, signup and posting are rate-limited."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import Task
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, csrf, make_tasker

PASSWORD = "a long client password"


@pytest.fixture
def web(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def sign_up(web, email="casey@example.test", role="client"):
    """Sign up, then sign in (signup answers the same for a new and a known email, so it signs no one in)."""
    token = csrf(web.get("/signup").get_data(as_text=True))
    answer = web.post(
        "/signup",
        data={
            "email": email,
            "display_name": "Casey",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "role": role,
            "csrf_token": token,
        },
    )
    assert answer.status_code == 302 and "/login" in answer.headers["Location"], answer.get_data(as_text=True)
    token = csrf(web.get("/login").get_data(as_text=True))
    return web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})


def post_form(web, **overrides):
    token = csrf(web.get("/tasks/new").get_data(as_text=True))
    data = {
        "category": "yard-work",
        "region": "springfield",
        "title": "Mow the lawn",
        "description": "",
        "estimated_minutes": "95",
        "starts_at": "2031-06-01T09:00",
        "offered_rate": "",
        "action": "post",
        "csrf_token": token,
        **overrides,
    }
    return web.post("/tasks/new", data=data)


def task_id_of(response) -> int:
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_signup_post_and_follow_a_task(web, platform):
    assert sign_up(web).status_code == 302
    assert web.get("/", follow_redirects=False).headers["Location"].endswith("/tasks")

    # The preview is the engine's quote (the JS asks for this fragment as the client types).
    preview = web.get("/tasks/preview?category=yard-work&region=springfield&estimated_minutes=95&offered_rate=30")
    html = preview.get_data(as_text=True)
    api_quote = web.post(
        "/api/v1/quotes",
        json={"category": "yard-work", "region": "springfield", "estimated_minutes": 95, "offered_rate": 3000},
    ).json
    assert preview.status_code == 200 and "105 minutes" in html and api_quote["subtotal"] == 5250  # 30.00/h x 1.75h
    assert f'data-total="{api_quote["total"]}"' in html
    bad = web.get("/tasks/preview?category=yard-work&region=springfield&estimated_minutes=abc")
    assert "whole minutes" in bad.get_data(as_text=True)
    assert 'href="/prices/springfield#yard-work"' in html and "Floor version 1, in force since" in html

    # The form's defaults price at once, before the client changes anything.
    fresh = web.get("/tasks/new").get_data(as_text=True)
    assert "data-total=" in fresh and "how prices work" in fresh and "to see the price" not in fresh

    # The no-JS preview button renders the same page with the price, without posting.
    token = csrf(web.get("/tasks/new").get_data(as_text=True))
    page = web.post(
        "/tasks/new",
        data={
            "category": "yard-work",
            "region": "springfield",
            "title": "",
            "estimated_minutes": "60",
            "starts_at": "",
            "action": "preview",
            "csrf_token": token,
        },
    )
    assert page.status_code == 200 and "Price preview" in page.get_data(as_text=True)

    # Field errors sit next to their fields; nothing is posted.
    refused = post_form(web, title="", estimated_minutes="0", starts_at="2020-01-01T09:00")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="title-error"' in text and 'id="estimated_minutes-error"' in text
    past = post_form(web, starts_at="2020-01-01T09:00")
    assert past.status_code == 422 and "must not be in the past" in past.get_data(as_text=True)

    posted = post_form(web, offered_rate="30.00")
    assert posted.status_code == 302
    task_id = task_id_of(posted)
    status = web.get(f"/tasks/{task_id}/status").get_data(as_text=True)
    assert 'data-status="posted"' in status and "data-poll" in status
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-status="priced"' in page and "30.00 USD an hour" in page and "Service fee" in page
    assert "Cancel for free" in page and "Mow the lawn" in web.get("/tasks").get_data(as_text=True)

    # Book it (no payment provider in this test: the null gateway holds nothing).
    assert "Book (test mode)" in page and web.post(f"/tasks/{task_id}/pay", data={}).status_code == 400  # no CSRF
    booked = web.post(f"/tasks/{task_id}/pay", data={"csrf_token": csrf(page)}, follow_redirects=True)
    text = booked.get_data(as_text=True)
    assert "Booked" in text and 'data-payment="authorized"' in text and "Book and pay" not in text


def _priced_task(web, platform, starts_in: timedelta) -> int:
    start = (utcnow() + starts_in).strftime("%Y-%m-%dT%H:%M")
    task_id = task_id_of(post_form(web, starts_at=start))
    pipeline = Pipeline(platform, ["pricing"])
    pipeline.drain()
    pipeline.close()
    return task_id


def _tasker_takes(platform, task_id: int, minutes: int | None = None) -> None:
    book(platform, task_id)
    tasker_id, _ = make_tasker(platform, f"t{task_id}@example.test", {"yard-work": 2400}, ["springfield"])
    with platform.uow() as uow:
        tasker = uow.session.get(User, tasker_id)
        accept_task(uow, tasker, task_id, NO_WINDOW)
        if minutes:
            start_task(uow, tasker, task_id, early=ANY_TIME)
            complete_task(uow, tasker, task_id, minutes, tolerance=ANY_TIME)
        uow.commit()


def test_cancellation_policy_is_applied_and_explained(web, platform):
    sign_up(web)
    early = _priced_task(web, platform, timedelta(days=3))
    late = _priced_task(web, platform, timedelta(hours=5))
    for task_id in (early, late):
        _tasker_takes(platform, task_id)

    page = web.get(f"/tasks/{early}").get_data(as_text=True)
    assert "more than 24 hours away, so cancelling is free" in page
    profile = page.split('Accepted by <a href="')[1].split('"')[0]  # the tasker's public profile
    assert profile.startswith("/taskers/") and "Tier:" in web.get(profile).get_data(as_text=True)
    r = web.post(f"/tasks/{early}/cancel", data={"csrf_token": csrf(page)}, follow_redirects=True)
    assert "Cancelled, free of charge." in r.get_data(as_text=True)

    page = web.get(f"/tasks/{late}").get_data(as_text=True)
    assert "pays the tasker one billable hour" in page and "Cancel and pay the 24.00 USD fee" in page
    r = web.post(f"/tasks/{late}/cancel", data={"csrf_token": csrf(page)}, follow_redirects=True)
    text = r.get_data(as_text=True)
    assert "The tasker is paid 24.00 USD for the late cancellation." in text
    assert "Late cancellation fee" in text and 'data-status="cancelled"' in text
    # A cancel without the CSRF token is refused.
    other = _priced_task(web, platform, timedelta(days=3))
    assert web.post(f"/tasks/{other}/cancel", data={}).status_code == 400


def test_review_after_completion(web, platform):
    sign_up(web)
    task_id = _priced_task(web, platform, timedelta(days=3))
    _tasker_takes(platform, task_id, minutes=50)
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Final price" in page and "Send the review" in page
    bad = web.post(f"/tasks/{task_id}/review", data={"rating": "9", "csrf_token": csrf(page)})
    assert bad.status_code == 422 and 'id="rating-error"' in bad.get_data(as_text=True)
    ok = web.post(
        f"/tasks/{task_id}/review",
        data={"rating": "4", "comment": "Tidy work", "csrf_token": csrf(page)},
        follow_redirects=True,
    )
    assert "your review is in" in ok.get_data(as_text=True) and "★★★★ Tidy work" in ok.get_data(as_text=True)


def test_web_pages_check_role_and_ownership(app, platform):
    app.config["WTF_CSRF_ENABLED"] = True
    owner, stranger, tasker, anonymous = (app.test_client() for _ in range(4))
    sign_up(owner, "owner@example.test")
    sign_up(stranger, "stranger@example.test")
    sign_up(tasker, "tasker@example.test", role="tasker")
    task_id = _priced_task(owner, platform, timedelta(days=2))
    html = {"Accept": "text/html"}
    for path in (f"/tasks/{task_id}", f"/tasks/{task_id}/status", "/tasks", "/tasks/new"):
        assert owner.get(path).status_code == 200, path
        assert anonymous.get(path).status_code == 302, path  # to the sign-in page
        if path != f"/tasks/{task_id}":
            assert tasker.get(path, headers=html).status_code == 403, path
    # A tasker is sent to their own side of a task, where it is none of theirs.
    assert tasker.get(f"/tasks/{task_id}", headers=html).headers["Location"].endswith(f"/work/{task_id}")
    assert tasker.get(f"/tasks/{task_id}", headers=html, follow_redirects=True).status_code == 404
    assert stranger.get(f"/tasks/{task_id}", headers=html).status_code == 404
    assert stranger.get(f"/tasks/{task_id}/status", headers=html).status_code == 404
    token = csrf(stranger.get("/tasks/new").get_data(as_text=True))
    assert stranger.post(f"/tasks/{task_id}/cancel", data={"csrf_token": token}, headers=html).status_code == 404
    assert tasker.get("/me").status_code == 200 and owner.get("/me", headers=html).status_code == 403
    with platform.uow() as uow:
        assert uow.session.get(Task, task_id).status == "priced"


class ActiveContent(HTMLParser):
    """Collects what a browser would run: inline scripts, on* handlers, javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag == "script" and not dict(attrs).get("src", "").startswith("/static/"):
            self.found.append("<script> inline")


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


def test_tips_and_descriptions_come_back_inert(web, api, platform):
    """Script tags and javascript: links, in a tip and in a task description, render inert."""
    attack = (
        "<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)> "
        '<a href="javascript:alert(4)">raw</a> [ok](https://example.com)'
    )
    tasker = api.signup("tasker")
    tip = api.client.post(
        "/api/v1/boards/yard-work/tips",
        headers=api.headers(tasker),
        json={"title": "<script>alert(5)</script>", "body": attack},
    )
    assert tip.status_code == 201
    body = tip.json["body_html"]
    assert active_content(body) == []
    assert '<a href="https://example.com" rel="nofollow noopener noreferrer">ok</a>' in body
    pipeline = Pipeline(platform, ["tips"])
    pipeline.drain()
    pipeline.close()
    board = web.get("/boards/yard-work").get_data(as_text=True)
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in board and active_content(board) == []
    assert f"Tasker {tasker['id']}</a> (newcomer) · 0 found this helpful" in board  # author and tier
    assert tasker["email"].split("@")[0] not in board  # a name that never shows part of the email
    assert f'href="/taskers/{tasker["id"]}"' in board
    profile = web.get(f"/taskers/{tasker['id']}")  # public, with the tips written, escaped
    html = profile.get_data(as_text=True)
    assert profile.status_code == 200 and "Tips written" in html and "&lt;script&gt;alert(5)" in html
    assert active_content(html) == [] and tasker["email"] not in html
    assert web.get("/taskers/999999", headers={"Accept": "text/html"}).status_code == 404

    sign_up(web)
    task_id = task_id_of(post_form(web, description=attack, title='"><script>alert(6)</script>'))
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and active_content(page) == []


def test_boards_are_readable_on_the_web(web, api, platform):
    tasker, voter = api.signup("tasker"), api.signup("tasker")
    first = api.client.post(
        "/api/v1/boards/mounting/tips",
        headers=api.headers(tasker),
        json={"title": "Find the stud", "body": "Use a magnet."},
    ).json["id"]
    api.client.post(
        "/api/v1/boards/mounting/tips",
        headers=api.headers(tasker),
        json={"title": "Level twice", "body": "Then drill."},
    )
    api.client.post(f"/api/v1/tips/{first}/votes", headers=api.headers(voter), json={"helpful": True})
    pipeline = Pipeline(platform, ["tips"])
    pipeline.drain()
    pipeline.close()
    assert "Mounting and lighting installation" in web.get("/boards").get_data(as_text=True)
    page = web.get("/boards/mounting").get_data(as_text=True)
    assert page.index("Find the stud") < page.index("Level twice") and "1 found this helpful" in page
    assert web.get("/boards/no-such-board", headers={"Accept": "text/html"}).status_code == 404


def test_sign_in_signup_and_posting_are_rate_limited(app, api):
    app.config.update(RATELIMIT_LOGIN="3 per minute", RATELIMIT_SIGNUP="2 per hour", RATELIMIT_POSTING="2 per minute")
    client = api.signup("client")  # one signup used
    wrong = {"email": client["email"], "password": "not the password"}
    assert [api.client.post("/api/v1/auth/token", json=wrong).status_code for _ in range(4)] == [401, 401, 401, 429]
    limited = api.client.post("/api/v1/auth/token", json={**wrong, "password": "correct horse battery"})
    assert limited.status_code == 429 and limited.json["code"] == 429 and limited.headers["Retry-After"] == "60"
    assert "wait a minute and try again" in limited.json["message"]
    # Another account from the same address is not locked out by someone guessing at this one.
    other = {"email": "someone-else@example.test", "password": "not the password"}
    assert api.client.post("/api/v1/auth/token", json=other).status_code == 401

    signup = {"email": "second@example.test", "password": "long enough pw", "role": "client"}
    assert api.client.post("/api/v1/users", json=signup).status_code == 201
    assert api.client.post("/api/v1/users", json={**signup, "email": "third@example.test"}).status_code == 429

    assert [api.post_task(client).status_code for _ in range(3)] == [202, 202, 429]
    with api.platform.uow() as uow:
        assert len(uow.session.exec(select(Task)).all()) == 2


def test_an_error_page_knows_who_is_signed_in(web):
    sign_up(web, "dana@example.test")
    missing = web.get("/tasks/999999", headers={"Accept": "text/html"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Sign out" in html and ">Sign in<" not in html


def test_task_pages_name_the_category_and_region(web, platform):
    sign_up(web, "noor@example.test")
    task_id = _priced_task(web, platform, timedelta(days=2))
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    listing = web.get("/tasks").get_data(as_text=True)
    assert "Yard work in Springfield" in page and "Yard work · Springfield" in listing
