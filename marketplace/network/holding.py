"""A held task, as the network changes it: a peer offered the task may see it, and a move that
takes the task from its holder (started, cancelled by the client, given back) closes the hand-off
offers still open on it.

The network sits above the tasks, so the task use cases (marketplace/tasks/lifecycle.py) know
nothing of offers; the entry points call these, which run the task's use case and then withdraw
its open offers in the same unit of work, stamped with the moment the task moved."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db import UnitOfWork
from marketplace.network.handoffs import close_open_offers, has_open_offer
from marketplace.taskers.levels import Window
from marketplace.tasks import lifecycle
from marketplace.tasks.models import Task
from marketplace.tasks.parties import may_see_as_party
from pricing import Quote


def may_see(session: Session, user: User, task: Task, window: Window, now: datetime) -> bool:
    """Who may see a task (`parties.may_see_as_party`: operators, its client, its holder, the
    taskers it is open to now), and a tasker a peer offers it to (a hand-off offer still open)."""
    if may_see_as_party(session, user, task, window, now):
        return True
    return user.role == Role.tasker and has_open_offer(session, user.id, task.id)


def start_task(
    uow: UnitOfWork,
    tasker: User,
    task_id: int,
    early: timedelta = lifecycle.START_EARLY,
    late: timedelta = lifecycle.START_LATE,
) -> Task:
    task = lifecycle.start_task(uow, tasker, task_id, early, late)
    assert task.started_at is not None  # set by the start
    close_open_offers(uow, task, "The task has started.", task.started_at)
    return task


def cancel_by_client(
    uow: UnitOfWork,
    client: User,
    task_id: int,
    reason: str = "",
    handoff_grace: timedelta = lifecycle.HANDOFF_FREE_CANCELLATION,
) -> tuple[Task, Quote | None]:
    task, fee = lifecycle.cancel_by_client(uow, client, task_id, reason, handoff_grace)
    assert task.cancelled_at is not None  # set by the cancellation
    close_open_offers(uow, task, "The client cancelled the task.", task.cancelled_at)
    return task, fee


def cancel_by_tasker(uow: UnitOfWork, tasker: User, task_id: int, reason: str = "") -> Task:
    task = lifecycle.cancel_by_tasker(uow, tasker, task_id, reason)
    assert task.priced_at is not None  # back in the feed from this moment
    close_open_offers(uow, task, "The tasker gave the task back.", task.priced_at)
    return task
