"""Who is a party to a task, and what each party may read. Views ask these; they never decide it
themselves."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.taskers.levels import Window
from marketplace.tasks.feed import is_open_to
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.transitions import Action, allowed

# The tasker who holds a task keeps its address and access notes this long after completing it
# (to find their way back for a forgotten tool, say); then only the client and operators do.
PRIVATE_AFTER_COMPLETION = timedelta(days=1)


def is_client(user: User, task: Task) -> bool:
    return user.role == Role.client and task.client_id == user.id


def holds(user: User, task: Task) -> bool:
    """The tasker who accepted the task and has not given it up."""
    return user.role == Role.tasker and task.tasker_id == user.id


def may_read_private(user: User, task: Task, now: datetime) -> bool:
    """The address and access notes: the client, operators, and the tasker holding the task from
    acceptance until a day after completion."""
    if user.role == Role.operator or is_client(user, task):
        return True
    if not holds(user, task) or task.status == TaskStatus.cancelled:
        return False
    return task.completed_at is None or now <= task.completed_at + PRIVATE_AFTER_COMPLETION


def may_see_as_party(session: Session, user: User, task: Task, window: Window, now: datetime) -> bool:
    """Operators see every task; a client their own; a tasker the tasks they hold and those open
    to them in their feed now. A peer offered the task sees it too: the network adds that
    (network/holding.may_see, which the views ask)."""
    if user.role == Role.operator:
        return True
    if user.role == Role.client:
        return is_client(user, task)
    return holds(user, task) or is_open_to(session, user.id, task.id, window, now)


def may_book(task: Task) -> bool:
    """The client may (still) put a hold on a card for it: priced, and not yet held."""
    return allowed(task.status, Action.book) and task.payment_status in (None, "failed", "pending")


def may_cancel(user: User, task: Task) -> bool:
    """Whether `user` may cancel the task now (the client, or the tasker giving it back)."""
    if is_client(user, task):
        return allowed(task.status, Action.client_cancels)
    return holds(user, task) and allowed(task.status, Action.tasker_cancels)
