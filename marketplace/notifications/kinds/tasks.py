"""A task's own steps: priced, accepted, started, completed, cancelled, and claims for extra time."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from events.payloads import TaskAdjustment, TaskCancelled, TaskCompleted, TaskLifecycle, TaskPriced
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind, Webhook
from marketplace.notifications.letters import Draft, quoted
from marketplace.notifications.links import Reader
from marketplace.tasks.models import Task, TaskStep

DECIDED = {
    "approved": "The client approved your claim for extra time",
    "disputed": "The client disputed your claim for extra time; an operator will rule on it",
    "expired": "The client did not answer your claim in time: the booked amount stands",
    "upheld": "An operator ruled for you on your claim",
    "rejected": "An operator ruled for the client on your claim: the booked amount stands",
}


def _title(task: Task) -> str:
    return f"“{task.title}”"


def _priced(e: TaskPriced, task: Task, f: Facts, to: Reader) -> Draft:
    page = f.links.task(task.id, "client")
    if e.status == "priced" and e.quote:
        total = f.money(task, e.quote["total"])
        rate = e.quote.get("rate")
        offered = task.offered_rate is not None and rate == task.offered_rate
        source = (
            f"from your offer of {f.money(task, rate)} an hour"
            if offered and isinstance(rate, int)
            else "from the category's floor"
        )
        return Draft(
            f"Your task {_title(task)} is priced: {total}",
            [
                f"Your task {_title(task)} is priced at {total}, {source}.",
                "Book it to offer it to taskers.",
            ],
            page,
            api=f.links.api_task(task.id),
        )
    return Draft(
        f"Your task {_title(task)} could not be priced",
        [f"We could not price your task {_title(task)}: {e.reason}"],
        page,
        api=f.links.api_task(task.id),
    )


def _accepted(e: TaskLifecycle, task: Task, f: Facts, to: Reader) -> Draft:
    return Draft(
        f"{f.name(e.tasker_id)} accepted {_title(task)}",
        [f"{f.name(e.tasker_id)} accepted your task {_title(task)}, which starts {f.when(task, task.starts_at)}."],
        f.links.task(task.id, "client"),
        api=f.links.api_task(task.id),
    )


def _started(e: TaskLifecycle, task: Task, f: Facts, to: Reader) -> Draft:
    return Draft(
        f"{_title(task)} has started",
        [f"{f.name(e.tasker_id)} started your task {_title(task)} at {f.when(task, e.at)}."],
        f.links.task(task.id, "client"),
        api=f.links.api_task(task.id),
    )


def _completed(e: TaskCompleted, task: Task, f: Facts, to: Reader) -> Draft:
    total, payout = f.money(task, e.quote["total"]), f.money(task, e.quote["payout"])
    if to == "client":
        return Draft(
            f"{_title(task)} is done: {total}",
            [
                f"Your task {_title(task)} is done after {e.minutes_worked} minutes; the final price is {total}.",
                "You can review your tasker on the task's page.",
            ],
            f.links.task(task.id, "client"),
            api=f.links.api_task(task.id),
        )
    return Draft(
        f"{_title(task)} is complete: {payout} for you",
        [f"You completed {_title(task)}; your payout is {payout}."],
        f.links.task(task.id, "tasker"),
        "The task",
        f.links.api_task(task.id),
    )


def _cancelled_hears(e: TaskCancelled, task: Task, f: Facts) -> dict[Reader, int | None]:
    if e.cancelled_by == "client":
        return {"tasker": e.tasker_id}
    if e.cancelled_by == "platform":  # a rebooking nobody took: the client hears of it as task.rebooking_closed
        return {}
    return {"client": task.client_id}


def _given_back_why(e: TaskCancelled, f: Facts) -> str:
    """The tasker's reason, from the task's steps: the event never carries people's words."""
    query = (
        select(TaskStep.note)
        .where(col(TaskStep.task_id) == e.task_id, col(TaskStep.kind) == "cancelled", col(TaskStep.at) <= e.at)
        .where(col(TaskStep.actor_id) == e.tasker_id)
        .order_by(col(TaskStep.at).desc(), col(TaskStep.id).desc())
    )
    return f.session.exec(query).first() or "Cancelled by the tasker."


def _cancelled(e: TaskCancelled, task: Task, f: Facts, to: Reader) -> Draft:
    if to == "tasker":  # the client cancelled the task this tasker held
        lines = [f"The client cancelled {_title(task)}."]
        if e.fee:
            lines.append(f"It was late, so you are paid one billable hour: {f.money(task, e.fee['payout'])}.")
        return Draft(
            f"{_title(task)} was cancelled",
            lines,
            f.links.task(task.id, "tasker"),
            "The task",
            f.links.api_task(task.id),
        )
    return Draft(
        f"Your tasker gave {_title(task)} back",
        [
            f"{f.name(e.tasker_id)} gave your task {_title(task)} back: {quoted(_given_back_why(e, f))}",
            "It is on offer to other taskers again.",
        ],
        f.links.task(task.id, "client"),
        api=f.links.api_task(task.id),
    )


def _cancelled_data(e: TaskCancelled, f: Facts) -> dict[str, Any]:
    return {
        "task_id": e.task_id,
        "cancelled_at": e.at,
        "payout": e.fee["payout"] if e.fee else None,  # a late cancellation pays one billable hour
        "currency": f.currency(e.region),
    }


def _requested(e: TaskAdjustment, task: Task, f: Facts, to: Reader) -> Draft:
    extra = f.money(task, e.claimed["total"] - e.booked["total"])
    return Draft(
        f"Your tasker asks for {extra} more on {_title(task)}",
        [
            f"{f.name(e.tasker_id)} worked {e.minutes_worked} minutes on {_title(task)} and asks for {extra} more "
            "than you booked.",
            f"Approve or dispute it by {f.when(task, e.due_at)}; if you do nothing, you pay only what you booked.",
        ],
        f.links.task(task.id, "client"),
        api=f.links.api_task(task.id),
    )


def _decided(e: TaskAdjustment, task: Task, f: Facts, to: Reader) -> Draft:
    words = DECIDED.get(e.status, f"Your claim for extra time is {e.status}")
    return Draft(
        f"Your claim on {_title(task)}: {e.status}",
        [f"{words} ({_title(task)})."],
        f.links.task(task.id, "tasker"),
        "The task",
        f.links.api_task(task.id),
    )


def _decided_data(e: TaskAdjustment, f: Facts) -> dict[str, Any]:
    return {
        "task_id": e.task_id,
        "status": e.status,
        "minutes_worked": e.minutes_worked,
        "booked_payout": e.booked["payout"],
        "claimed_payout": e.claimed["payout"],
        "currency": f.currency(e.region),
        "decided_at": e.at,
    }


KINDS: list[Kind[Any]] = [
    Kind(
        "task.priced",
        "Your task is priced (or could not be)",
        "task.priced",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_priced,
        readers=("client",),
    ),
    Kind(
        "task.accepted",
        "A tasker accepted your task",
        "task.accepted",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_accepted,
        readers=("client",),
    ),
    Kind(
        "task.started",
        "Your task started",
        "task.started",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_started,
        readers=("client",),
    ),
    Kind(
        "task.completed",
        "A task is done",
        "task.completed",
        hears=lambda e, task, f: {"client": task.client_id, "tasker": e.tasker_id} if e.tasker_id else {},
        letter=_completed,
        readers=("client", "tasker"),
    ),
    Kind(
        "task.cancelled",
        "A task was cancelled or given back",
        "task.cancelled",
        hears=_cancelled_hears,
        letter=_cancelled,
        readers=("client", "tasker"),
        webhook=Webhook(to=lambda e, f: e.tasker_id if e.cancelled_by == "client" else None, data=_cancelled_data),
    ),
    Kind(
        "task.adjustment_requested",
        "A tasker asks for more time",
        "task.adjustment_requested",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_requested,
        readers=("client",),
    ),
    Kind(
        "task.adjustment_decided",
        "Your claim for more time was decided",
        "task.adjustment_decided",
        hears=lambda e, task, f: {"tasker": e.tasker_id},
        letter=_decided,
        readers=("tasker",),
        webhook=Webhook(to=lambda e, f: e.tasker_id, data=_decided_data),
    ),
]
