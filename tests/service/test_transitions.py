"""Walk every (status, action) pair: bring a fresh task to the status through the use cases, try
the action through its use case, and check that the code does exactly what the transition table
says: the table's target status when it allows the pair, a refusal and no change when it does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import col, update

from events.contracts import decode, encode
from marketplace.clock import utcnow
from marketplace.errors import DomainError
from marketplace.floors.table import FloorTable
from marketplace.network.handoffs import accept_handoff, offer_handoff
from marketplace.payments.holds import book_task
from marketplace.tasks.adjustments import approve_adjustment, dispute_adjustment, expire_adjustments
from marketplace.tasks.lifecycle import accept_task, cancel_by_client, cancel_by_tasker, complete_task, start_task
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.posting import post_task, posted_event
from marketplace.tasks.pricing_stage import price_posted_task
from marketplace.tasks.rebooking import decline_rebooking
from marketplace.tasks.reviews import review_task
from marketplace.tasks.transitions import TRANSITIONS, Action, allowed
from tests.service.test_task_use_cases import draft, who
from tests.support import ANY_TIME, NO_WINDOW


def _in(platform, use_case: Callable) -> None:
    with platform.uow() as uow:
        use_case(uow)
        uow.commit()


def bring_to(market, status: TaskStatus, booked: bool = True) -> int:
    """A fresh one-hour task at `status`, reached the way people reach it (a priced task is
    booked too unless `booked` is False: booking is what opens it to taskers)."""
    platform, pipeline, people = market
    client, ann = who(platform, people["client"]), who(platform, people["ann"])
    with platform.uow() as uow:
        task_id = post_task(uow, client.id, draft(minutes=60)).id
        uow.commit()
    if status == TaskStatus.posted:
        return task_id
    if status == TaskStatus.rejected:  # a posting no floor could price (the stage's other outcome)
        with platform.uow() as uow:
            uow.session.exec(update(Task).where(col(Task.id) == task_id).values(status=TaskStatus.rejected))
            uow.commit()
        return task_id
    pipeline.drain()
    if booked:
        book_task(platform.uow, platform.gateway, client, task_id, "pm_null")
    steps = {
        TaskStatus.priced: [],
        TaskStatus.cancelled: [lambda uow: cancel_by_client(uow, client, task_id, "plans changed")],
        TaskStatus.accepted: [lambda uow: accept_task(uow, ann, task_id, NO_WINDOW)],
        TaskStatus.in_progress: [
            lambda uow: accept_task(uow, ann, task_id, NO_WINDOW),
            lambda uow: start_task(uow, ann, task_id, ANY_TIME),
        ],
        TaskStatus.completed: [
            lambda uow: accept_task(uow, ann, task_id, NO_WINDOW),
            lambda uow: start_task(uow, ann, task_id, ANY_TIME),
            lambda uow: complete_task(uow, ann, task_id, 30, "", tolerance=ANY_TIME),
        ],
        TaskStatus.awaiting_approval: [
            lambda uow: accept_task(uow, ann, task_id, NO_WINDOW),
            lambda uow: start_task(uow, ann, task_id, ANY_TIME),
            lambda uow: complete_task(uow, ann, task_id, 600, "it grew", tolerance=ANY_TIME),
        ],
    }[status]
    for step in steps:
        _in(platform, step)
    return task_id


def act(market, action: Action, task_id: int) -> None:
    """Try `action` on the task through its use case, as the person who would do it."""
    platform, pipeline, people = market
    client, ann = who(platform, people["client"]), who(platform, people["ann"])
    if action == Action.price:
        pipeline.drain()  # the pricing stage: it prices what is posted and leaves the rest alone
        return
    if action == Action.reject:  # the pricing stage with no floor for the task: it rejects it
        with platform.uow() as uow:
            task = uow.session.get_one(Task, task_id)
            price_posted_task(uow, decode(encode(posted_event(task))), FloorTable())
            uow.commit()
        return
    if action == Action.book:
        book_task(platform.uow, platform.gateway, client, task_id, "pm_null")
        return
    if action == Action.platform_cancels:  # a rebooking for ann only, which she declines
        with platform.uow() as uow:
            uow.session.exec(
                update(Task).where(col(Task.id) == task_id).values(addressed_to_id=ann.id, only_addressed=True)
            )
            uow.commit()
        _in(platform, lambda uow: decline_rebooking(uow, ann, task_id, utcnow()))
        return
    if action == Action.hand_off:  # ann offers the task to bob, and bob takes it
        bob = who(platform, people["bob"])
        offers: list = []
        _in(platform, lambda uow: offers.extend(offer_handoff(uow, ann, task_id, [bob.id], "", NO_WINDOW)))
        _in(platform, lambda uow: accept_handoff(uow, bob, offers[0].id, NO_WINDOW))
        return
    use_case = {
        Action.accept: lambda uow: accept_task(uow, ann, task_id, NO_WINDOW),
        Action.start: lambda uow: start_task(uow, ann, task_id, ANY_TIME),
        Action.complete: lambda uow: complete_task(uow, ann, task_id, 30, "", tolerance=ANY_TIME),
        Action.claim: lambda uow: complete_task(uow, ann, task_id, 600, "it grew", tolerance=ANY_TIME),
        Action.approve: lambda uow: approve_adjustment(uow, client, task_id),
        Action.dispute: lambda uow: dispute_adjustment(uow, client, task_id, "an hour was agreed"),
        Action.lapse: lambda uow: expire_adjustments(uow, utcnow() + timedelta(days=30)),
        Action.client_cancels: lambda uow: cancel_by_client(uow, client, task_id, "plans changed"),
        Action.tasker_cancels: lambda uow: cancel_by_tasker(uow, ann, task_id, "van broke"),
        Action.review: lambda uow: review_task(uow, client, task_id, 5, "good"),
    }[action]
    _in(platform, use_case)


def status_of(platform, task_id: int) -> str:
    with platform.uow() as uow:
        return uow.session.get_one(Task, task_id).status


@pytest.mark.parametrize("status", list(TaskStatus))
def test_the_code_does_what_the_transition_table_says(market, status):
    platform = market[0]
    for action in Action:
        task_id = bring_to(market, status, booked=not (status == TaskStatus.priced and action == Action.book))
        assert status_of(platform, task_id) == status
        if allowed(status, action):
            act(market, action, task_id)
            assert status_of(platform, task_id) == TRANSITIONS[(status, action)], (status, action)
        elif action in (Action.price, Action.reject, Action.lapse):
            act(market, action, task_id)  # a sweep or a stage: it passes over what it does not apply to
            assert status_of(platform, task_id) == status, (status, action)
        else:
            with pytest.raises(DomainError):
                act(market, action, task_id)
            assert status_of(platform, task_id) == status, (status, action)


def test_every_status_is_reachable_and_every_action_is_used():
    assert {target for target in TRANSITIONS.values()} | {TaskStatus.posted} == set(TaskStatus)
    assert {action for _, action in TRANSITIONS} == set(Action)
