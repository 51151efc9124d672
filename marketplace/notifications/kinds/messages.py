"""A message on a task's thread, to the other party. Its words are read from the message's row
(the event carries its id): a message deleted since (an account closed) is neither emailed nor
delivered."""

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


def _about(e: MessageSent, f: Facts) -> Task | None:
    """The task, while the message is still there to quote."""
    return f.task(e.task_id) if f.message(e.message_id) is not None else None


def _words(e: MessageSent, f: Facts) -> str:
    message = f.message(e.message_id)
    assert message is not None  # `_about` found it
    return message.body


def _to(e: MessageSent, f: Facts) -> int | None:
    return e.recipient_id if f.message(e.message_id) is not None else None


def _message(e: MessageSent, task: Task, f: Facts, to: Reader) -> Draft:
    sender = "Your client" if to == "tasker" else f.name(e.sender_id)
    return Draft(
        f"A message about “{task.title}”",
        [f"{sender} wrote:", _words(e, f)],
        f.links.messages(task.id, to),
        "Answer",
        f.links.api_messages(task.id),
    )


def _message_data(e: MessageSent, f: Facts) -> dict[str, Any]:
    return {
        "message_id": e.message_id,
        "task_id": e.task_id,
        "sender_id": e.sender_id,
        "body": _words(e, f),  # masked before the start, as the thread shows it
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
        about=_about,
        webhook=Webhook(to=_to, data=_message_data),  # only taskers have endpoints,
    ),
]
