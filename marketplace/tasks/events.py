"""The events on `tasks.lifecycle` share one head: the task, its client and tasker, its category and
region, and when. Every producer of a task's event fills it here (`task_head`) and builds its typed
event from events/payloads.py (`TaskStarted(**task_head(task, now))`); `emit_task_event` sends it."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Literal

from events.payloads import TaskHead, TaskLifecycle
from marketplace.db import UnitOfWork
from marketplace.tasks.models import Task


class _Holder(Enum):
    TASKS = 0  # the task's own holder


def task_head(task: Task, at: datetime, tasker_id: int | None | Literal[_Holder.TASKS] = _Holder.TASKS) -> TaskHead:
    """The head of an event about `task` at `at`. The tasker is the task's holder unless given
    (None for a task nobody holds)."""
    return TaskHead(
        task_id=task.id,
        client_id=task.client_id,
        tasker_id=task.tasker_id if tasker_id is _Holder.TASKS else tasker_id,
        category=task.category,
        region=task.region,
        at=at,
    )


def emit_task_event(uow: UnitOfWork, event: TaskLifecycle) -> None:
    """Emit a task's event, keyed by the task (so its events stay in order)."""
    uow.emit(event.event(subject=event.task_id), key=str(event.task_id))
