"""Who is a party to a task, and what each party may read. Views ask these; they never decide it
themselves."""

from __future__ import annotations

from datetime import datetime, timedelta

from marketplace.accounts.models import Role, User
from marketplace.tasks.models import Task, TaskStatus

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
