"""Claims for extra time on the web: the client sees the extra and one truthful account of the
money, approves or disputes it; the operator rules on a dispute in the console; in test mode the
page says that nothing was held or charged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts.models import User
from marketplace.accounts.users import create_user
from marketplace.clock import utcnow
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.support import ANY_TIME, NO_WINDOW, Pipeline, book, csrf, enrol_two_factor, pass_two_factor

PASSWORD = "correct horse battery"


@pytest.fixture
def web(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def sign_in(client, email):
    token = csrf(client.get("/login").get_data(as_text=True))
    pass_two_factor(client, client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}))
    return client


def drain(platform, *groups):
    pipeline = Pipeline(platform, list(groups))
    try:
        pipeline.drain()
    finally:
        pipeline.close()


@pytest.fixture
def claim(platform):
    """A booked one-hour task the tasker completed at 150 minutes, with a reason."""
    with platform.uow() as uow:
        client = create_user(uow.session, "client@example.test", PASSWORD, "client")
        tasker = create_user(uow.session, "tasker@example.test", PASSWORD, "tasker")
        create_user(uow.session, "ops@example.test", PASSWORD, "operator")
        from marketplace.taskers.skills import SkillSpec, set_skills

        set_skills(uow, tasker.id, ["springfield"], [SkillSpec("yard-work", 2400)])
        task_id = post_task(
            uow, client.id, TaskDraft("yard-work", "springfield", "Hedge", "", 60, utcnow() + timedelta(days=3))
        ).id
        uow.commit()
    enrol_two_factor(platform, "ops@example.test")  # operators must have it
    drain(platform, "pricing")
    book(platform, task_id)
    with platform.uow() as uow:
        tasker = uow.session.get(User, tasker.id)
        accept_task(uow, tasker, task_id, NO_WINDOW)
        start_task(uow, tasker, task_id, early=ANY_TIME)
        complete_task(uow, tasker, task_id, 150, "The hedge ran round the back too", tolerance=ANY_TIME)
        uow.commit()
    return task_id


def test_the_client_sees_the_claim_and_approves_it(web, platform, claim):
    sign_in(web, "client@example.test")
    page = web.get(f"/tasks/{claim}").get_data(as_text=True)
    assert "The tasker asks for more" in page and "The hedge ran round the back too" in page
    assert "test mode: nothing was held on a card" in page and "held on your card" not in page
    token = csrf(page)
    assert web.post(f"/tasks/{claim}/claim/approve", data={"csrf_token": token}).status_code == 302
    drain(platform, "payments")
    page = web.get(f"/tasks/{claim}").get_data(as_text=True)
    assert 'data-claim="approved"' in page and "approved by you" in page
    assert "Settled (test mode)" in page and "no card was charged" in page and "beyond the booking" in page
    assert "The tasker asks for more" not in page


def test_a_dispute_needs_a_reason_and_an_operator_rules_on_it(web, app, platform, claim):
    sign_in(web, "client@example.test")
    token = csrf(web.get(f"/tasks/{claim}").get_data(as_text=True))
    assert web.post(f"/tasks/{claim}/claim/dispute", data={"csrf_token": token, "reason": ""}).status_code == 422
    assert (
        web.post(f"/tasks/{claim}/claim/dispute", data={"csrf_token": token, "reason": "It took an hour"}).status_code
        == 302
    )
    drain(platform, "payments")
    assert "an operator is reviewing the rest" in web.get(f"/tasks/{claim}").get_data(as_text=True)

    ops = sign_in(app.test_client(), "ops@example.test")
    page = ops.get("/console/disputes").get_data(as_text=True)
    assert "It took an hour" in page and "The hedge ran round the back too" in page
    r = ops.post(
        f"/console/disputes/{claim}",
        data={"csrf_token": csrf(page), "decision": "client", "note": "One hour was booked"},
    )
    assert r.status_code == 302
    assert "No open disputes" in ops.get("/console/disputes").get_data(as_text=True)
    assert "an operator decided for you" in web.get(f"/tasks/{claim}").get_data(as_text=True)
