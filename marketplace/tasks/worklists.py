"""A tasker's lists of tasks, as their pages and apps read them: what they hold, what they
completed, the rebookings waiting for their answer, and what earned (or will earn) them money.
The pages ask these; they never filter tasks by status themselves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from marketplace.tasks.models import HELD_STATUSES, Task, TaskStatus


def held_by(session: Session, tasker_id: int) -> Sequence[Task]:
    """The tasks the tasker holds now (accepted, in progress, waiting for a claim's answer), soonest first."""
    return session.exec(
        select(Task)
        .where(col(Task.tasker_id) == tasker_id, col(Task.status).in_(HELD_STATUSES))
        .order_by(col(Task.starts_at), col(Task.id))
    ).all()


def completed_by(session: Session, tasker_id: int, limit: int = 20) -> Sequence[Task]:
    """The tasker's most recent completions, newest first."""
    return session.exec(
        select(Task)
        .where(col(Task.tasker_id) == tasker_id, col(Task.status) == TaskStatus.completed)
        .order_by(col(Task.completed_at).desc(), col(Task.id).desc())
        .limit(limit)
    ).all()


def rebookings_for(session: Session, tasker_id: int, now: datetime) -> Sequence[Task]:
    """Rebookings addressed to the tasker that still wait for their answer, the first to lapse first."""
    return session.exec(
        select(Task)
        .where(
            col(Task.addressed_to_id) == tasker_id,
            col(Task.status) == TaskStatus.priced,
            col(Task.addressed_until) > now,
        )
        .order_by(col(Task.addressed_until))
    ).all()


def earning_tasks(session: Session, tasker_id: int, limit: int = 200) -> list[Task]:
    """The tasks that earned the tasker money or may (completed ones, and late cancellations that
    pay a fee), newest first."""
    return list(
        session.exec(
            select(Task)
            .where(
                col(Task.tasker_id) == tasker_id,
                col(Task.status).in_([TaskStatus.completed, TaskStatus.cancelled]),
            )
            .order_by(col(Task.completed_at).desc(), col(Task.id).desc())
            .limit(limit)
        )
    )
