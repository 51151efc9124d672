"""A task's history, step by step: written in the unit of work that emits each step's event, read
by the client's timeline. Nothing here is ever updated or deleted."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from marketplace.tasks.models import TaskStep


def record_step(
    session: Session, task_id: int, kind: str, at: datetime, actor_id: int | None = None, by: str = "", note: str = ""
) -> None:
    session.add(TaskStep(task_id=task_id, kind=kind, at=at, actor_id=actor_id, by=by, note=note[:500]))


def steps_of(session: Session, task_id: int) -> list[TaskStep]:
    """Oldest first; steps written in one transaction keep the order they were written in."""
    return list(
        session.exec(
            select(TaskStep).where(col(TaskStep.task_id) == task_id).order_by(col(TaskStep.at), col(TaskStep.id))
        )
    )
