"""The taskers' network, to the tasker it concerns: a connection asked for and accepted, an
endorsement received, and an answer to a question they asked. None of these is about a task: each
is about a person or a question, looked up through Facts (the events carry ids, not names)."""

from __future__ import annotations

from typing import Any

from events.payloads import AnswerEvent, ConnectionEvent, EndorsementGiven
from marketplace.accounts.models import User
from marketplace.community.models import Question
from marketplace.notifications.facts import Facts
from marketplace.notifications.kinds.kind import Kind, Webhook
from marketplace.notifications.letters import Draft
from marketplace.notifications.links import Reader


def _actor(e: ConnectionEvent, f: Facts) -> User | None:
    """The tasker who asked or accepted, if their account is still there and active."""
    user = f.user(e.tasker_id)
    return user if user is not None and user.is_active else None


def _requested(e: ConnectionEvent, who: User, f: Facts, to: Reader) -> Draft:
    name = f.name(who.id)
    return Draft(
        f"{name} asks to connect with you",
        [
            f"{name} asks to connect with you on Floorboard.",
            "Connected taskers can offer each other the tasks they can't do, and endorse each other's work. "
            "Accept or decline on your network page; you can see their profile there first.",
        ],
        f.links.connection_requests(),
        "Accept or decline",
        f.links.api_connections(),
    )


def _accepted(e: ConnectionEvent, who: User, f: Facts, to: Reader) -> Draft:
    name = f.name(who.id)
    return Draft(
        f"{name} accepted your request to connect",
        [f"You and {name} are connected now: you can offer each other the tasks you can't do."],
        f.links.network(),
        "Your network",
        f.links.api_connections(),
    )


def _endorser(e: EndorsementGiven, f: Facts) -> User | None:
    user = f.user(e.endorser_id)
    return user if user is not None and user.is_active else None


def _text(e: EndorsementGiven, f: Facts) -> str:
    """What the endorser wrote: in the endorsement's row, not in the event ("" once it is gone)."""
    row = f.endorsement(e.endorsement_id)
    return row.text if row is not None else ""


def _endorsed(e: EndorsementGiven, who: User, f: Facts, to: Reader) -> Draft:
    name, category = f.name(who.id), f.category_name(e.category)
    text = _text(e, f)
    lines = [f"{name} endorsed your work in {category}" + (":" if text else ".")]
    if text:
        lines.append(f"“{text}”")
    lines.append("It shows on your public profile, and counts towards the path to better-paid work.")
    return Draft(
        f"{name} endorsed you for {category}",
        lines,
        f.links.endorsements(),
        "Your endorsements",
        f.links.api_endorsements(e.endorsee_id),
    )


def _endorsed_data(e: EndorsementGiven, f: Facts) -> dict[str, Any]:
    return {
        "endorsement_id": e.endorsement_id,
        "endorser_id": e.endorser_id,
        "category": e.category,
        "text": _text(e, f),
        "given_at": e.at,
    }


def _asker(e: AnswerEvent, question: Question) -> int | None:
    """Who asked, unless they answered their own question."""
    return question.author_id if question.author_id != e.author_id else None


def _answered(e: AnswerEvent, question: Question, f: Facts, to: Reader) -> Draft:
    name = f.name(e.author_id)
    return Draft(
        f"{name} answered “{question.title}”",
        [
            f"{name} answered your question “{question.title}” on the {f.category_name(question.category)} board.",
            "Read it there, vote on it, and mark it as the answer that helped if it did.",
        ],
        f.links.question(question.id),
        "Read the answer",
        f.links.api_question(question.id),
    )


def _answered_to(e: AnswerEvent, f: Facts) -> int | None:
    question = f.question(e.question_id)
    return _asker(e, question) if question is not None else None


def _answered_data(e: AnswerEvent, f: Facts) -> dict[str, Any]:
    return {
        "question_id": e.question_id,
        "answer_id": e.answer_id,
        "category": e.category,
        "answerer_id": e.author_id,
        "answered_at": e.at,
    }


KINDS: list[Kind[Any]] = [
    Kind(
        "connection.requested",
        "A tasker asks to connect with you",
        "connection.requested",
        hears=lambda e, who, f: {"tasker": e.other_id},
        letter=_requested,
        readers=("tasker",),
        about=_actor,
        webhook=Webhook(to=lambda e, f: e.other_id, data=lambda e, f: {"tasker_id": e.tasker_id, "requested_at": e.at}),
    ),
    Kind(
        "connection.accepted",
        "A tasker accepted your request to connect",
        "connection.accepted",
        hears=lambda e, who, f: {"tasker": e.other_id},
        letter=_accepted,
        readers=("tasker",),
        about=_actor,
        webhook=Webhook(to=lambda e, f: e.other_id, data=lambda e, f: {"tasker_id": e.tasker_id, "accepted_at": e.at}),
    ),
    Kind(
        "endorsement.received",
        "A peer endorsed your work",
        "endorsement.given",
        hears=lambda e, who, f: {"tasker": e.endorsee_id},
        letter=_endorsed,
        readers=("tasker",),
        about=_endorser,
        webhook=Webhook(to=lambda e, f: e.endorsee_id, data=_endorsed_data),
    ),
    Kind(
        "question.answered",
        "An answer to a question you asked",
        "answer.posted",
        hears=lambda e, question, f: {"tasker": _asker(e, question)},
        letter=_answered,
        readers=("tasker",),
        about=lambda e, f: f.question(e.question_id),
        webhook=Webhook(to=_answered_to, data=_answered_data),
    ),
]
