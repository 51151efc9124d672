"""A task's history, step by step: written in the unit of work that emits each step's event, read
by the client's timeline. Nothing here is ever updated or deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from marketplace.tasks.models import TaskStep

_INSERT = insert(TaskStep.__table__)  # type: ignore[attr-defined]  # SQLModel sets it on table classes


def record_step(
    session: Session, task_id: int, kind: str, at: datetime, actor_id: int | None = None, by: str = "", note: str = ""
) -> None:
    """Inserted now by one Core statement, beside the event it goes with (the task row exists)."""
    row = {"task_id": task_id, "kind": kind, "at": at, "actor_id": actor_id, "by": by, "note": note[:500]}
    session.connection().execute(_INSERT, row)


def steps_of(session: Session, task_id: int) -> list[TaskStep]:
    """Oldest first; steps written in one transaction keep the order they were written in."""
    return list(
        session.exec(
            select(TaskStep).where(col(TaskStep.task_id) == task_id).order_by(col(TaskStep.at), col(TaskStep.id))
        )
    )
