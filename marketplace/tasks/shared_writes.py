"""Writes to the task row that other packages ask for: the holder's peer takes the task over
when a hand-off offer is accepted (the offers themselves are the network's), and the payments
package's status is copied onto the task, and a closed account's private text is cleared. The
task row is written only in marketplace/tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.tasks.models import ClientReview, Review, Task, TaskStep
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


def clear_private_text(session: Session, user: User) -> list[str]:
    """A closed account's private text in the task rows kept for the ledger (marketplace/privacy
    asks): the description, address, access notes and area of the tasks they posted, the notes of
    the steps they took, and the comments others wrote about them. Returns the text cleared from
    their tasks, so the copies quoting it can be found."""
    said: list[str] = []
    for task in session.exec(select(Task).where(col(Task.client_id) == user.id)):
        said += [t for t in (task.address, task.access_notes, task.description) if t.strip()]
        task.address, task.access_notes, task.description, task.area = "", "", "", ""
        session.add(task)
    session.execute(update(TaskStep).where(col(TaskStep.actor_id) == user.id).values(note=""))
    if user.role == Role.client:  # what taskers wrote of them
        session.execute(update(ClientReview).where(col(ClientReview.client_id) == user.id).values(comment=""))
    else:  # what clients wrote of them
        session.execute(update(Review).where(col(Review.tasker_id) == user.id).values(comment=""))
    return said
