"""Every change of a task's status, in one table. A use case asks `move` for the status an action
leads to; an action the table does not allow from the task's status is a Conflict that says why.
Where two people may race for a task, `compare_and_set` writes the change as one UPDATE whose
WHERE is the status the table allows the action from, so a source status is never written by hand.
A test walks every (status, action) pair against the use cases (tests/service/test_transitions.py).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, update

from marketplace.errors import Conflict
from marketplace.tasks.models import Task, TaskStatus

S = TaskStatus


class Action(StrEnum):
    price = "price"  # the pricing stage found a floor
    reject = "reject"  # the pricing stage found none, or the quote was refused
    book = "book"  # the client holds the price on a card (the status stays: the hold opens the feed)
    accept = "accept"
    start = "start"
    complete = "complete"  # within the booking: settled at once
    claim = "claim"  # beyond the booking: the client answers
    approve = "approve"  # the client agrees to the claim
    dispute = "dispute"  # the client disputes it: the booking is settled, an operator rules later
    lapse = "lapse"  # the client did not answer in time: the booking stands
    client_cancels = "client_cancels"
    platform_cancels = "platform_cancels"  # the system closes an only-this-tasker rebooking nobody took
    tasker_cancels = "tasker_cancels"  # the task goes back on offer
    review = "review"  # the client reviews the tasker (the status stays)
    hand_off = "hand_off"  # the holder offers the task to peers, and one takes it (the status stays)


TRANSITIONS: dict[tuple[TaskStatus, Action], TaskStatus] = {
    (S.posted, Action.price): S.priced,
    (S.posted, Action.reject): S.rejected,
    (S.priced, Action.book): S.priced,
    (S.priced, Action.accept): S.accepted,
    (S.accepted, Action.start): S.in_progress,
    (S.in_progress, Action.complete): S.completed,
    (S.in_progress, Action.claim): S.awaiting_approval,
    (S.awaiting_approval, Action.approve): S.completed,
    (S.awaiting_approval, Action.dispute): S.completed,
    (S.awaiting_approval, Action.lapse): S.completed,
    (S.posted, Action.client_cancels): S.cancelled,
    (S.priced, Action.client_cancels): S.cancelled,
    (S.rejected, Action.client_cancels): S.cancelled,
    (S.accepted, Action.client_cancels): S.cancelled,
    (S.priced, Action.platform_cancels): S.cancelled,
    (S.accepted, Action.tasker_cancels): S.priced,
    (S.in_progress, Action.tasker_cancels): S.priced,
    (S.completed, Action.review): S.completed,
    (S.accepted, Action.hand_off): S.accepted,
}

# Why an action is refused, in the words a person reads (the status is added after).
_REFUSALS = {
    Action.price: "Only a posted task is priced",
    Action.reject: "Only a posted task is priced",
    Action.book: "Only a priced task can be booked",
    Action.accept: "Only a priced task can be accepted",
    Action.start: "Only an accepted task can start",
    Action.complete: "Only a task in progress can be completed",
    Action.claim: "Only a task in progress can be completed",
    Action.approve: "Only a claim waiting for you can be approved",
    Action.dispute: "Only a claim waiting for you can be disputed",
    Action.lapse: "Only a claim waiting for an answer can lapse",
    Action.client_cancels: "A task that is in progress or done cannot be cancelled",
    Action.platform_cancels: "Only a priced task nobody holds is closed by the platform",
    Action.tasker_cancels: "Only a task you accepted and have not finished can be given back",
    Action.review: "You can review a tasker once the task is completed",
    Action.hand_off: "Only an accepted task that has not started can be handed to a peer",
}


def allowed(status: str, action: Action) -> bool:
    return (TaskStatus(status), action) in TRANSITIONS


def target(status: str, action: Action) -> TaskStatus:
    """The status `action` leads to from `status`, or a Conflict saying why it cannot happen."""
    try:
        return TRANSITIONS[(TaskStatus(status), action)]
    except (KeyError, ValueError):
        raise Conflict(f"{_REFUSALS[action]}; this one is {status}.") from None


def move(task: Task, action: Action) -> TaskStatus:
    """Set the task's status to where `action` leads (refusing what the table does not allow)."""
    task.status = target(task.status, action)
    return task.status


def compare_and_set(
    session: Session, task: Task, action: Action, expect: dict[str, Any] | None = None, **values
) -> bool:
    """Write `action` on the task as one UPDATE that matches only while the task is still at the
    status it was read at (and that status allows the action), with `expect`'s columns still at
    their values; set the table's target status and `values`. True if this call won the row; the
    task object is refreshed either way. A refused action raises, as `target` does."""
    to = target(task.status, action)
    conditions = [col(Task.id) == task.id, col(Task.status) == task.status]
    conditions += [getattr(Task, name) == value for name, value in (expect or {}).items()]
    won = session.exec(update(Task).where(*conditions).values(status=to, **values))
    session.refresh(task)
    return won.rowcount == 1
