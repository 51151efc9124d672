"""Work beyond the booked amount. A tasker who completes past what the client booked files a claim
(`lifecycle.complete_task`); the client approves it (the difference is charged) or disputes it (the
booked amount is captured and an operator rules); unanswered, it lapses to the booked amount.
Nothing beyond the booking moves until the client or an operator said yes.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from events.envelope import CloudEvent
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.tasks.lifecycle import MAX_REASON, settle_task
from marketplace.tasks.models import Adjustment, AdjustmentStatus, Task
from marketplace.tasks.quotes import as_price, quotes_of, replace_quote
from marketplace.tasks.steps import record_step
from marketplace.tasks.transitions import Action, allowed


def _claim(session, task_id: int) -> tuple[Task, Adjustment]:
    task = session.get(Task, task_id)
    claim = session.get(Adjustment, task_id)
    if task is None or claim is None:
        raise NotFound(f"Task {task_id} has no claim for extra time.")
    return task, claim


def _decided(
    uow: UnitOfWork, task: Task, claim: Adjustment, status: str, by: int | None, note: str, role: str = ""
) -> None:
    claim.status, claim.decided_at, claim.decided_by, claim.note = status, utcnow(), by, note
    uow.session.add(claim)
    record_step(uow.session, task.id, f"claim_{status}", claim.decided_at, by, role, note)
    quotes = quotes_of(uow.session, task.id)
    uow.emit(
        CloudEvent(
            type="task.adjustment_decided",
            subject=str(task.id),
            data={
                "task_id": task.id,
                "client_id": task.client_id,
                "tasker_id": task.tasker_id,
                "category": task.category,
                "region": task.region,
                "at": claim.decided_at,
                "minutes_worked": claim.minutes_claimed,
                "reason": claim.reason,
                "booked": as_price(quotes["posted"]).as_dict(),
                "claimed": as_price(quotes["claimed"]).as_dict(),
                "status": status,
                "due_at": claim.due_at,
            },
        ),
        key=str(task.id),
    )


def _pending_for_client(session, client: User, task_id: int) -> tuple[Task, Adjustment]:
    task = session.get(Task, task_id)
    if task is None or task.client_id != client.id:
        raise NotFound(f"No task {task_id} of yours.")
    task, claim = _claim(session, task_id)
    if not allowed(task.status, Action.approve) or claim.status != AdjustmentStatus.pending:
        raise Conflict(f"The claim on task {task_id} was already decided ({claim.status}).")
    return task, claim


def approve_adjustment(uow: UnitOfWork, client: User, task_id: int) -> Task:
    """The client agrees to the extra: the claimed price becomes the final price, charged in full."""
    task, claim = _pending_for_client(uow.session, client, task_id)
    _decided(uow, task, claim, AdjustmentStatus.approved, client.id, "", "client")
    settle_task(uow, task, as_price(quotes_of(uow.session, task.id)["claimed"]), Action.approve)
    return task


def dispute_adjustment(uow: UnitOfWork, client: User, task_id: int, reason: str) -> Task:
    """The client does not agree: the booked amount is settled now, and an operator rules on the rest."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid(
            "Say why you dispute the extra time.", {"reason": [f"Required, at most {MAX_REASON} characters."]}
        )
    task, claim = _pending_for_client(uow.session, client, task_id)
    _decided(uow, task, claim, AdjustmentStatus.disputed, client.id, reason, "client")
    settle_task(uow, task, as_price(quotes_of(uow.session, task.id)["posted"]), Action.dispute)
    return task


def resolve_dispute(uow: UnitOfWork, operator: User, task_id: int, for_tasker: bool, note: str) -> Adjustment:
    """An operator's ruling. For the tasker, the claimed price becomes the task's final price (the
    one every page, list and event shows), and the difference is charged to the client's saved
    card and paid on by the payments worker; for the client, the booked amount stands."""
    if operator.role != Role.operator:
        raise Forbidden("Only operators rule on disputes.")
    note = (note or "").strip()
    if not note or len(note) > MAX_REASON:
        raise Invalid("Give the ruling's reason.", {"note": [f"Required, at most {MAX_REASON} characters."]})
    task, claim = _claim(uow.session, task_id)
    if claim.status != AdjustmentStatus.disputed:
        raise Conflict(f"Task {task_id}'s claim is {claim.status}, not disputed.")
    if for_tasker:
        replace_quote(uow.session, task.id, "final", as_price(quotes_of(uow.session, task.id)["claimed"]))
    status = AdjustmentStatus.upheld if for_tasker else AdjustmentStatus.rejected
    _decided(uow, task, claim, status, operator.id, note, "operator")
    return claim


def expire_adjustments(uow: UnitOfWork, now: datetime) -> int:
    """Claims the client left unanswered past their due time settle at the booked amount."""
    session = uow.session
    overdue = session.exec(
        select(Adjustment).where(col(Adjustment.status) == AdjustmentStatus.pending, col(Adjustment.due_at) <= now)
    ).all()
    for claim in overdue:
        task = session.get_one(Task, claim.task_id)
        _decided(uow, task, claim, AdjustmentStatus.expired, None, "No answer in time: the booked amount stands.")
        settle_task(uow, task, as_price(quotes_of(session, task.id)["posted"]), Action.lapse)
    return len(overdue)


def disputes(session) -> list[tuple[Adjustment, Task]]:
    """Open disputes, oldest first, for the operators' console."""
    return list(
        session.exec(
            select(Adjustment, Task)
            .join(Task, col(Task.id) == Adjustment.task_id)
            .where(col(Adjustment.status) == AdjustmentStatus.disputed)
            .order_by(col(Adjustment.decided_at))
        )
    )
