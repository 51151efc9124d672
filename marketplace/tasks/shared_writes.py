"""Writes to the task row that other packages ask for: the holder's peer takes the task over
when a hand-off offer is accepted (the offers themselves are the network's), and the payments
package's status is copied onto the task. The task row is written only in marketplace/tasks."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from marketplace.tasks.models import Task
from marketplace.tasks.transitions import Action, compare_and_set


def hand_over(session: Session, task: Task, from_tasker_id: int, to_tasker_id: int, now: datetime) -> bool:
    """One UPDATE that matches only while the task is still accepted and still held by
    `from_tasker_id`, so of racing peers exactly one wins. False if another won, or the holder
    gave the task up, a moment ago."""
    return compare_and_set(
        session,
        task,
        Action.hand_off,
        expect={"tasker_id": from_tasker_id},
        tasker_id=to_tasker_id,
        accepted_at=now,
        handed_off_at=now,
        handed_from_id=from_tasker_id,
    )


def note_payment_status(session: Session, task_id: int, status: str) -> None:
    """The task's copy of its payment's status (what its pages and the feed read without a join);
    the payments package calls this, it never writes the task row itself."""
    task = session.get_one(Task, task_id)
    task.payment_status = status
    session.add(task)
