"""A message on a task's thread, to the other party."""

from __future__ import annotations

from typing import Any

from events.payloads import MessageSent
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind, Webhook
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader
from marketplace.tasks.models import Task


def _reader(e: MessageSent, task: Task) -> Reader:
    return "client" if e.recipient_id == task.client_id else "tasker"


def _message(e: MessageSent, task: Task, f: Facts, to: Reader) -> Draft:
    sender = "Your client" if to == "tasker" else f.name(e.sender_id)
    return Draft(
        f"A message about “{task.title}”",
        [f"{sender} wrote:", e.body],
        f.links.messages(task.id, to),
        "Answer",
        f.links.api_messages(task.id),
    )


def _message_data(e: MessageSent, f: Facts) -> dict[str, Any]:
    return {
        "message_id": e.message_id,
        "task_id": e.task_id,
        "sender_id": e.sender_id,
        "body": e.body,  # masked before the start, as the thread shows it
        "masked": e.masked,
        "sent_at": e.at,
    }


KINDS: list[Kind[Any]] = [
    Kind(
        "message.sent",
        "A message about a task",
        "message.sent",
        hears=lambda e, task, f: {_reader(e, task): e.recipient_id},
        letter=_message,
        readers=("client", "tasker"),
        webhook=Webhook(to=lambda e, f: e.recipient_id, data=_message_data),  # only taskers have endpoints,
    ),
]
