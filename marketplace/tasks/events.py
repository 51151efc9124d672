"""The events on `tasks.lifecycle` share one envelope: the task, its client and tasker, its
category and region, and when. Every producer of a task's event builds it here, so the common
fields are written once (the consumers read them through events/payloads.py's TaskLifecycle)."""

from __future__ import annotations

from datetime import datetime

from events.envelope import CloudEvent
from marketplace.db import UnitOfWork
from marketplace.tasks.models import Task

_UNSET = object()


def emit_task_event(
    uow: UnitOfWork, kind: str, task: Task, at: datetime, tasker_id: int | None | object = _UNSET, **extra
) -> None:
    """Emit `task.<kind>` about `task`, keyed by the task (so its events stay in order). The
    tasker is the task's holder unless given (None for a task nobody holds)."""
    data = {
        "task_id": task.id,
        "client_id": task.client_id,
        "tasker_id": task.tasker_id if tasker_id is _UNSET else tasker_id,
        "category": task.category,
        "region": task.region,
        "at": at,
        **extra,
    }
    uow.emit(CloudEvent(type=f"task.{kind}", subject=str(task.id), data=data), key=str(task.id))
