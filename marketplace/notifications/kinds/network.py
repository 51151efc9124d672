"""Tasks passing between people who worked together: hand-off offers, hand-offs, and rebookings."""

from __future__ import annotations

from typing import Any

from events.payloads import HandedOff, HandoffOffered, RebookingClosed, TaskPriced
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind, Webhook
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader
from marketplace.tasks.models import Task


def _title(task: Task) -> str:
    return f"“{task.title}”"


def _offered(e: HandoffOffered, task: Task, f: Facts, to: Reader) -> Draft:
    return Draft(
        f"{f.name(e.tasker_id)} offers you {_title(task)}",
        [
            f"{f.name(e.tasker_id)} can't do {_title(task)} (starts {f.when(task, task.starts_at)}) and offers it "
            "to you, at the same price.",
            f"Take it before {f.when(task, e.expires_at)}: POST {f.links.accept_handoff(e.offer_id)}.",
        ],
        f.links.handoff_offers(),
        "Your offers",
    )


def _offered_data(e: HandoffOffered, f: Facts) -> dict[str, Any]:
    return {
        "offer_id": e.offer_id,
        "task_id": e.task_id,
        "category": e.category,
        "region": e.region,
        "from_tasker_id": e.tasker_id,
        "to_tasker_id": e.to_tasker_id,
        "expires_at": e.expires_at,
        "offered_at": e.at,
    }


def _handed_off(e: HandedOff, task: Task, f: Facts, to: Reader) -> Draft:
    return Draft(
        f"{_title(task)} was handed to {f.name(e.tasker_id)}",
        [
            f"{f.name(e.from_tasker_id)} could not do your task {_title(task)} and handed it to "
            f"{f.name(e.tasker_id)}, at the same price.",
            "You did not choose them, so you may cancel free of charge for the next 12 hours.",
        ],
        f.links.task(task.id, "client"),
    )


def _is_rebooking(e: TaskPriced, task: Task) -> bool:
    return bool(e.status == "priced" and e.quote and task.addressed_until is not None)


def _rebooked(e: TaskPriced, task: Task, f: Facts, to: Reader) -> Draft:
    assert e.quote is not None and task.addressed_until is not None  # as _is_rebooking found
    client = f.name(task.client_id, "A client")
    return Draft(
        f"{client} asks for you again: {_title(task)}",
        [
            f"{client} booked you again for {_title(task)} ({f.money(task, e.quote['payout'])} to you), "
            f"which starts {f.when(task, task.starts_at)}.",
            f"It is yours alone until {f.when(task, task.addressed_until)}, once the client's card is held: "
            f"accept it from your feed, or decline it (POST {f.links.decline_rebooking(task.id)}).",
        ],
        f.links.task(task.id, "tasker"),
        "The task",
    )


def _rebooked_to(e: TaskPriced, f: Facts) -> int | None:
    task = f.task(e.task_id)
    return task.addressed_to_id if task is not None and _is_rebooking(e, task) else None


def _rebooked_data(e: TaskPriced, f: Facts) -> dict[str, Any]:
    task = f.task(e.task_id)
    assert task is not None and e.quote is not None  # as _rebooked_to found
    return {
        "task_id": task.id,
        "title": task.title,
        "category": task.category,
        "region": task.region,
        "area": task.area,
        "starts_at": task.starts_at,
        "estimated_minutes": task.estimated_minutes,
        "payout": e.quote["payout"],
        "currency": f.currency(task.region),
        "yours_until": task.addressed_until,
    }


def _rebooking_closed(e: RebookingClosed, task: Task, f: Facts, to: Reader) -> Draft:
    who = f.name(e.addressed_to_id)
    why = "declined it" if e.reason == "declined" else "did not answer in time"
    then = (
        "It is now open to every tasker who does this work."
        if e.reopened
        else "You asked for them only, so it is cancelled, free of charge: your card hold is released."
    )
    return Draft(
        f"{who} can't take {_title(task)}",
        [f"You booked {who} again for {_title(task)}, and they {why}.", then],
        f.links.task(task.id, "client"),
    )


KINDS: list[Kind[Any]] = [
    Kind(
        "task.handoff_offered",
        "A peer offers you a task",
        "task.handoff_offered",
        hears=lambda e, task, f: {"tasker": e.to_tasker_id},
        letter=_offered,
        webhook=Webhook(to=lambda e, f: e.to_tasker_id, data=_offered_data),
    ),
    Kind(
        "task.handed_off",
        "Your task was handed to another tasker",
        "task.handed_off",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_handed_off,
    ),
    Kind(
        "task.rebooked",
        "A client asks for you again",
        "task.priced",
        hears=lambda e, task, f: {"tasker": task.addressed_to_id} if _is_rebooking(e, task) else {},
        letter=_rebooked,
        webhook=Webhook(to=_rebooked_to, data=_rebooked_data),
    ),
    Kind(
        "task.rebooking_closed",
        "The tasker you rebooked declined or did not answer",
        "task.rebooking_closed",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_rebooking_closed,
    ),
]
