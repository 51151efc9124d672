"""The client's pages tell the truth about money and contact details (issue 31, findings 4 and 5,
and the claim's wording): a claim left unanswered keeps the booked amount only when that pays the
legal minimum; a late cancellation names its fee; booking says approved extra time comes on top;
a description's phone number is masked like a message's for everyone but its client (and the
tasker holding it once it starts); the message box's label follows the task's state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api import create_app
from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.conversations.messages import MASK, description_for
from marketplace.tasks.lifecycle import accept_task, complete_task, start_task
from marketplace.tasks.models import Task
from marketplace.tasks.posting import TaskDraft, post_task
from tests.service.test_ruling_minimum import claimed, run, seattle, who  # noqa: F401  (fixture)
from tests.support import ANY_TIME, NO_WINDOW, book

PHONE = "Call me on 555-123-4567 or mail casey@example.org"


@pytest.fixture
def web(market):
    platform = market[0]
    client = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, platform=platform).test_client()
    r = client.post("/login", data={"email": "client@example.test", "password": "correct horse battery"})
    assert r.status_code == 302
    return client


def test_an_unanswered_claim_under_the_legal_minimum_is_not_said_to_keep_the_booked_amount(seattle, web):  # noqa: F811
    task_id = claimed(seattle)  # Seattle: 61 minutes worked, the booked 27.00 USD is under the 27.45 USD minimum
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "(no answer: the booked amount stands)" not in page
    assert "(no answer: an operator decides, as the booked amount would pay under the legal minimum)" in page
    assert "you pay only what you booked" not in page and "an operator decides" in page


def test_where_the_booking_pays_the_minimum_the_booked_amount_stands(market, web):
    task_id = claimed(market, region="springfield")  # no legal minimum there
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "(no answer: the booked amount stands)" in page


def _accepted(market, starts_in: timedelta, description: str = "") -> int:
    platform, pipeline, people = market
    draft = TaskDraft("yard-work", "springfield", "Hedge", description, 60, utcnow() + starts_in)
    task_id = run(platform, post_task, people["client"], draft).id
    pipeline.drain()
    book(platform, task_id)
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    return task_id


def test_a_late_cancellation_names_its_fee_and_booking_says_extra_time_comes_on_top(market, web):
    task_id = _accepted(market, timedelta(hours=5))
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    fee = int(page.split('data-fee="')[1].split('"')[0])
    money = f"{fee // 100}.{fee % 100:02d} USD"
    assert fee > 0 and f"Cancel and pay the {money} fee</button>" in page and f"<strong>{money}</strong>" in page
    r = web.post(f"/tasks/{task_id}/cancel", data={"reason": ""}, follow_redirects=True)
    assert r.status_code == 200
    with market[0].uow() as uow:
        from marketplace.tasks.quotes import quotes_of

        assert quotes_of(uow.session, task_id)["cancellation"].total == fee  # the fee it named is the fee taken
    platform, pipeline, people = market
    draft = TaskDraft("yard-work", "springfield", "Hedge", "", 60, utcnow() + timedelta(days=3))
    fresh = run(platform, post_task, people["client"], draft).id
    pipeline.drain()
    page = web.get(f"/tasks/{fresh}").get_data(as_text=True)
    assert "never more than this hold" not in page
    assert "plus any extra time the tasker claims and you approve" in page
    assert "We hold" not in page  # test mode: nothing is held on any card


def test_a_phone_number_in_the_description_is_masked_like_a_messages(market, web):
    platform, pipeline, people = market
    task_id = _accepted(market, timedelta(days=3), PHONE)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        ann, bob, client = (uow.session.get_one(User, people[n]) for n in ("ann", "bob", "client"))
        for reader in (bob, ann, None):  # another tasker, the holder before the start, a visitor
            seen = description_for(task, reader)
            assert "555-123-4567" not in seen and "casey@example.org" not in seen and MASK in seen
        assert description_for(task, client) == PHONE  # their own text
        assert description_for(task, bob, mask=False) == PHONE  # the setting off
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "555-123-4567" in page  # the client's own page
    assert "phone numbers and emails stay hidden until the task starts" in page  # the label, before the start
    run(platform, start_task, who(platform, people["ann"]), task_id, ANY_TIME)
    with platform.uow() as uow:
        task = uow.session.get_one(Task, task_id)
        assert description_for(task, uow.session.get_one(User, people["ann"])) == PHONE  # started: whole, as messages
        assert MASK in description_for(task, uow.session.get_one(User, people["bob"]))
    run(platform, complete_task, who(platform, people["ann"]), task_id, 60, "", timedelta(hours=72), ANY_TIME)
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "stay hidden until the task starts" not in page
    assert "the task is done, so phone numbers and emails are shown as written" in page
