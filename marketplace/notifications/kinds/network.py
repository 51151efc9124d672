"""Tasks passing between people who worked together: hand-off offers and how each went (taken,
declined, lapsed: to the tasker who offered), hand-offs, and rebookings."""

from __future__ import annotations

from typing import Any

from events.payloads import HandedOff, HandoffClosed, HandoffOffered, RebookingClosed, TaskPriced
from marketplace.network.models import OfferStatus
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind, Webhook
from marketplace.notifications.letters import Draft, quoted
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
            f"Take it or decline it before {f.when(task, e.expires_at)}: the first peer to take it gets it.",
        ],
        f.links.accept_handoff(e.offer_id),
        "See the offer",
        f.links.api_handoffs(),
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
        api=f.links.api_task(task.id),
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
            f"It is yours alone until {f.when(task, task.addressed_until)}, once the client has booked it: "
            "accept it or decline it on its page.",
        ],
        f.links.decline_rebooking(task.id),
        "Accept or decline",
        f.links.api_task(task.id),
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
        else "You asked for them only, so it is cancelled, free of charge: "
        + ("nothing was held on a card (test mode)." if f.test_mode else "your card hold is released.")
    )
    return Draft(
        f"{who} can't take {_title(task)}",
        [f"You booked {who} again for {_title(task)}, and they {why}.", then],
        f.links.task(task.id, "client"),
        api=f.links.api_task(task.id),
    )


def _names(f: Facts, user_ids: list[int]) -> str:
    """ "Bob", "Bob and Cy", "Bob, Cy and Dee"."""
    names = [f.name(i) for i in user_ids]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _taken(e: HandedOff, task: Task, f: Facts, to: Reader) -> Draft:
    peer = f.name(e.tasker_id)
    lines = [
        f"{peer} took your offer of {_title(task)} (starts {f.when(task, task.starts_at)}): the task is theirs "
        "now, at the same price, and no longer on your list.",
    ]
    if e.late:
        lines.append("It was less than 24 hours before the start, so it counts as half a cancellation for you.")
    return Draft(
        f"{peer} took {_title(task)}",
        lines,
        f.links.accept_handoff(e.offer_id),
        "See the offer",
        f.links.api_handoffs(),
    )


def _taken_data(e: HandedOff, f: Facts) -> dict[str, Any]:
    return {"offer_id": e.offer_id, "task_id": e.task_id, "to_tasker_id": e.tasker_id, "late": e.late, "taken_at": e.at}


def _why(e: HandoffClosed, f: Facts) -> str:
    """The peer's reason, from the offer's row: the event never carries people's words."""
    offer = f.offer(e.offer_id)
    return offer.reason if offer is not None else ""


def _declined(e: HandoffClosed, task: Task, f: Facts, to: Reader) -> Draft:
    peer, why = f.name(e.to_tasker_id), _why(e, f)
    said = f": {quoted(why)}" if why and why != "Declined." else "."
    return Draft(
        f"{peer} declined {_title(task)}",
        [
            f"{peer} declined your offer of {_title(task)}{said}",
            f"The task is still yours (it starts {f.when(task, task.starts_at)}): do it, offer it to someone "
            "else, or give it back.",
        ],
        f.links.task(task.id, "tasker"),
        "The task",
        f.links.api_handoffs(),
    )


def _declined_data(e: HandoffClosed, f: Facts) -> dict[str, Any]:
    return {
        "offer_id": e.offer_id,
        "task_id": e.task_id,
        "to_tasker_id": e.to_tasker_id,
        "reason": _why(e, f),
        "declined_at": e.at,
    }


def _lapsed_together(e: HandoffClosed, f: Facts) -> list[int]:
    """The peers whose offers, made at once with this one, all lapsed unanswered, when this is
    the last of them to close (the highest id of those that lapsed, none still open); else none.
    So a tasker who offered a task to five peers reads one letter when nobody answered, not five."""
    offer = f.offer(e.offer_id)
    if offer is None:
        return []
    together = f.offers_made_with(offer)
    if any(o.status == OfferStatus.open for o in together):
        return []
    lapsed = [o for o in together if o.status == OfferStatus.lapsed]
    return [o.to_tasker_id for o in lapsed] if lapsed and lapsed[-1].id == offer.id else []


def _lapsed(e: HandoffClosed, task: Task, f: Facts, to: Reader) -> Draft:
    peers = _lapsed_together(e, f)
    return Draft(
        f"Nobody took {_title(task)} in time",
        [
            f"You offered {_title(task)} to {_names(f, peers)}, and the offer lapsed unanswered at "
            f"{f.when(task, e.at)}.",
            f"The task is still yours (it starts {f.when(task, task.starts_at)}): do it, offer it to someone "
            "else, or give it back.",
        ],
        f.links.task(task.id, "tasker"),
        "The task",
        f.links.api_handoffs(),
    )


def _lapsed_data(e: HandoffClosed, f: Facts) -> dict[str, Any]:
    return {"offer_id": e.offer_id, "task_id": e.task_id, "to_tasker_id": e.to_tasker_id, "lapsed_at": e.at}


KINDS: list[Kind[Any]] = [
    Kind(
        "task.handoff_offered",
        "A peer offers you a task",
        "task.handoff_offered",
        hears=lambda e, task, f: {"tasker": e.to_tasker_id},
        letter=_offered,
        readers=("tasker",),
        webhook=Webhook(to=lambda e, f: e.to_tasker_id, data=_offered_data),
    ),
    Kind(
        "task.handed_off",
        "Your task was handed to another tasker",
        "task.handed_off",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_handed_off,
        readers=("client",),
    ),
    Kind(
        "task.rebooked",
        "A client asks for you again",
        "task.priced",
        hears=lambda e, task, f: {"tasker": task.addressed_to_id} if _is_rebooking(e, task) else {},
        letter=_rebooked,
        readers=("tasker",),
        webhook=Webhook(to=_rebooked_to, data=_rebooked_data),
    ),
    Kind(
        "task.rebooking_closed",
        "The tasker you rebooked declined or did not answer",
        "task.rebooking_closed",
        hears=lambda e, task, f: {"client": task.client_id},
        letter=_rebooking_closed,
        readers=("client",),
    ),
    Kind(
        "task.handoff_taken",
        "A peer took the task you offered them",
        "task.handed_off",
        hears=lambda e, task, f: {"tasker": e.from_tasker_id},
        letter=_taken,
        readers=("tasker",),
        webhook=Webhook(to=lambda e, f: e.from_tasker_id, data=_taken_data),
    ),
    Kind(
        "task.handoff_declined",
        "A peer declined the task you offered them",
        "task.handoff_declined",
        hears=lambda e, task, f: {"tasker": e.tasker_id},
        letter=_declined,
        readers=("tasker",),
        webhook=Webhook(to=lambda e, f: e.tasker_id, data=_declined_data),
    ),
    Kind(
        "task.handoff_lapsed",
        "Nobody took the task you offered in time",
        "task.handoff_lapsed",
        hears=lambda e, task, f: {"tasker": e.tasker_id} if _lapsed_together(e, f) else {},
        letter=_lapsed,
        readers=("tasker",),
        webhook=Webhook(to=lambda e, f: e.tasker_id, data=_lapsed_data),
    ),
]
