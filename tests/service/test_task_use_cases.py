"""A task's life through the use cases, on SQLite with the null gateway and the workers driven by
hand, no HTTP: what each step refuses (by the error's kind), and what money it moves."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.payments.ledger import balances
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.tasks.lifecycle import accept_task, cancel_by_client, complete_task, start_task
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.posting import TaskDraft, post_task
from marketplace.tasks.quotes import quotes_of
from marketplace.tasks.reviews import review_task
from tests.support import ANY_TIME, NO_WINDOW, book


def run(platform, use_case, *args):
    with platform.uow() as uow:
        result = use_case(uow, *args)
        uow.commit()
        return result


def who(platform, user_id: int) -> User:
    with platform.uow() as uow:
        return uow.session.get_one(User, user_id)


def draft(minutes: int = 60, starts: datetime | None = None, **changes) -> TaskDraft:
    values = {
        "category": "yard-work",
        "region": "springfield",
        "title": "Hedge",
        "description": "",
        "estimated_minutes": minutes,
        "starts_at": starts or utcnow() + timedelta(days=3),
        **changes,
    }
    return TaskDraft(**values)


def priced_and_booked(market, **changes) -> int:
    platform, pipeline, people = market
    task_id = run(platform, post_task, people["client"], draft(**changes)).id
    pipeline.drain()
    book(platform, task_id)
    return task_id


def test_a_posting_names_every_bad_field_and_stores_nothing(market):
    platform, _, people = market
    bad = draft(minutes=0, category="space-walks", starts=datetime(2030, 1, 1))  # naive: no zone
    with pytest.raises(Invalid) as refused:
        run(platform, post_task, people["client"], bad)
    assert set(refused.value.errors) == {"category", "starts_at", "estimated_minutes"}
    with platform.uow() as uow:
        assert uow.session.get(Task, 1) is None


def test_a_posting_is_priced_from_the_floor_then_accepted_by_one_tasker_only(market):
    platform, _, people = market
    task_id = priced_and_booked(market, minutes=90)
    with platform.uow() as uow:
        posted = quotes_of(uow.session, task_id)["posted"]
    assert (posted.rate, posted.billable_minutes, posted.subtotal) == (2400, 90, 3600)
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    with pytest.raises(Conflict):
        run(platform, accept_task, who(platform, people["bob"]), task_id, NO_WINDOW)
    with pytest.raises(Forbidden):  # only the tasker who holds it may start it
        run(platform, start_task, who(platform, people["bob"]), task_id, ANY_TIME)
    with pytest.raises(NotFound):
        run(platform, start_task, who(platform, people["ann"]), 999_999, ANY_TIME)


def test_completion_within_the_booking_captures_and_owes_the_tasker_their_payout(market):
    platform, pipeline, people = market
    task_id = priced_and_booked(market)
    ann = who(platform, people["ann"])
    run(platform, accept_task, ann, task_id, NO_WINDOW)
    run(platform, start_task, ann, task_id, ANY_TIME)
    with pytest.raises(Invalid):
        run(platform, complete_task, ann, task_id, 0, "", ANY_TIME, ANY_TIME)
    run(platform, complete_task, ann, task_id, 45, "", ANY_TIME, ANY_TIME)
    pipeline.drain()
    with platform.uow() as uow:
        payment = uow.session.get_one(Payment, task_id)
        final = quotes_of(uow.session, task_id)["final"]
        books = balances(uow.session, task_id)
        assert uow.session.get_one(Task, task_id).status == TaskStatus.completed
    assert payment.status == PaymentStatus.captured and payment.amount_captured == final.total
    assert sum(books.values()) == 0
    tasker_money = books.get("tasker_payable", 0) + books.get("tasker_paid_out", 0)
    assert tasker_money == final.payout <= final.total - books["platform_fees"]
    with pytest.raises(NotFound):  # only the task's own client reviews it
        run(platform, review_task, who(platform, people["eve"]), task_id, 5, "")
    run(platform, review_task, who(platform, people["client"]), task_id, 5, "Tidy work")
    with pytest.raises(Conflict):
        run(platform, review_task, who(platform, people["client"]), task_id, 4, "")


def test_a_client_cancelling_more_than_a_day_ahead_pays_nothing(market):
    platform, pipeline, people = market
    task_id = priced_and_booked(market, starts=utcnow() + timedelta(days=3))
    with pytest.raises(NotFound):  # another client's task is not theirs to cancel
        run(platform, cancel_by_client, who(platform, people["eve"]), task_id, "")
    _, fee = run(platform, cancel_by_client, who(platform, people["client"]), task_id, "plans changed")
    pipeline.drain()
    with platform.uow() as uow:
        payment = uow.session.get_one(Payment, task_id)
        assert fee is None and payment.status == PaymentStatus.released
        assert sum(balances(uow.session, task_id).values()) == 0
        assert balances(uow.session, task_id).get("client", 0) == 0


def test_a_late_cancellation_of_an_accepted_task_captures_one_billable_hour_and_no_more(market):
    platform, pipeline, people = market
    task_id = priced_and_booked(market, minutes=240, starts=utcnow() + timedelta(hours=6))
    run(platform, accept_task, who(platform, people["ann"]), task_id, NO_WINDOW)
    _, fee = run(platform, cancel_by_client, who(platform, people["client"]), task_id, "")
    pipeline.drain()
    with platform.uow() as uow:
        payment = uow.session.get_one(Payment, task_id)
        posted = quotes_of(uow.session, task_id)["posted"]
        books = balances(uow.session, task_id)
    assert fee is not None and fee.billable_minutes == 60 and fee.total < posted.total
    assert payment.amount_captured == fee.total and -books["client"] == fee.total
    assert sum(books.values()) == 0


def test_a_task_starts_only_in_the_window_around_its_start_time(market):
    platform, _, people = market
    far = priced_and_booked(market, starts=utcnow() + timedelta(days=11))
    soon = priced_and_booked(market, starts=utcnow() + timedelta(minutes=90))
    ann = who(platform, people["ann"])
    for task_id in (far, soon):
        run(platform, accept_task, ann, task_id, NO_WINDOW)
    with pytest.raises(Conflict) as early:
        run(platform, start_task, ann, far)  # the default window: from two hours before the start
    assert (
        "can not be started yet: its start window runs from" in early.value.message and "CST" in early.value.message
    )  # Springfield keeps Chicago time
    assert run(platform, start_task, ann, soon).status == TaskStatus.in_progress
