"""A task in your feed (`task.available`): no event brings it. The announcer's sweep (announce.py)
finds each task as it opens to a tasker and writes, once per tasker and task, a webhook delivery to
their subscribed endpoints and, if they asked for it (off by default), an email, at most
`feed_emails_per_day` a day; the last one a day says so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind, Webhook
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader
from marketplace.notifications.models import Mode
from marketplace.tasks.models import Task

KIND = "task.available"


@dataclass(frozen=True)
class Opening:
    """What the sweep found, as the kind's letter reads it: a task that opened to one tasker; and,
    for the day's last feed email, how many a day they get (`cap`) and how many more tasks this
    sweep found for them beyond it (`more`)."""

    task: Task
    tasker_id: int
    cap: int | None = None  # set on the day's last feed email
    more: int = 0


def available_payload(task: Task) -> dict[str, Any]:
    """What a `task.available` delivery says of a task that opened in a tasker's feed: its public
    fields (never the address or access notes)."""
    return {
        "task_id": task.id,
        "title": task.title,
        "category": task.category,
        "region": task.region,
        "area": task.area,
        "starts_at": task.starts_at,
        "estimated_minutes": task.estimated_minutes,
    }


def _letter(o: Opening, task: Task, f: Facts, to: Reader) -> Draft:
    """The task's public fields only: never its address, access notes or description."""
    payout = f.payout(task.id)
    pays = f.money(task, payout) if payout is not None else None
    where = f"{task.area}, {f.region_name(task.region)}" if task.area else f.region_name(task.region)
    lines = [
        f"A task opened to you in your feed: “{task.title}” ({f.category_name(task.category)}, {where}), "
        f"starting {f.when(task, task.starts_at)}, about {task.estimated_minutes} minutes of work.",
        (f"It pays you {pays}. " if pays else "") + "The first tasker to accept it gets it.",
    ]
    if o.cap is not None:
        later = (
            f"{o.more} more task{'' if o.more == 1 else 's'} opened to you, and wait{'s' if o.more == 1 else ''} "
            "in your feed"
            if o.more
            else "tasks that open to you later today wait in your feed"
        )
        lines.append(f"This is the last of today's feed emails (you get at most {o.cap} a day): {later}.")
    return Draft(
        f"In your feed: “{task.title}”" + (f", {pays} for you" if pays else ""),
        lines,
        f.links.task(task.id, "tasker"),
        "See the task",
        f.links.api_feed(),
    )


AVAILABLE: Kind[Any] = Kind(
    KIND,
    "A task opens to you in your feed (when your tier's window opens for it)",
    None,  # no event: the announcer's sweep
    hears=lambda o, task, f: {"tasker": o.tasker_id},
    letter=_letter,
    readers=("tasker",),
    about=lambda o, f: o.task,
    default=Mode.off,
    webhook=Webhook(to=lambda task, f: None, data=lambda task, f: available_payload(task)),
)
