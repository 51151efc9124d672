"""A task's thread: its client and the tasker holding it write to each other once it is accepted.

Plain text, at most 2,000 characters, shown escaped (no HTML; a link stays text). Before the task
starts, phone numbers and email addresses are masked when the setting asks for it (payment stays
on the platform); the raw text is never stored. Each message is announced as `message.sent` on
the `messages` topic in the same unit of work, by its id: the words stay in this table alone, so
deleting a message (an account closed) forgets them everywhere. An operator may read a thread only when the task has
a claim for extra time (pending or decided), and every such read is recorded with its reason.
The client sees every message of their task; a tasker only the messages they sent or received
(a tasker who took the task over, by a hand-off or after another gave it back, does not read
what the client said to the one before). When nobody holds the task any more, its client still
reads what was written (read-only), so the unread count always points at a thread they can open.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from events.payloads import MessageSent
from marketplace.accounts.models import Role, User
from marketplace.clock import utcnow
from marketplace.conversations.models import Message, OperatorRead, ThreadRead
from marketplace.db import UnitOfWork, insert_if_absent
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace.tasks.models import Adjustment, Task, TaskStatus

MAX_BODY = 2000
MASK = "[hidden until the task starts]"
# Open for writing from acceptance on; read-only once the task is cancelled.
WRITABLE = {TaskStatus.accepted, TaskStatus.in_progress, TaskStatus.awaiting_approval, TaskStatus.completed}
READABLE = WRITABLE | {TaskStatus.cancelled}
BEFORE_START = {TaskStatus.accepted}

_EMAIL = re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*[\w-]+)+", re.IGNORECASE)
# A run of digits and the separators people type in phone numbers, with at least 7 digits in it.
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w])")


def mask_contact_details(text: str) -> tuple[str, bool]:
    """The text with email addresses and phone numbers replaced, and whether any was."""
    masked = _EMAIL.sub(MASK, text)

    def phone(match: re.Match[str]) -> str:
        found = match.group()
        if _DATE.fullmatch(found.strip()) or sum(ch.isdigit() for ch in found) < 7:
            return found  # a date, or too few digits for a phone number
        return MASK

    masked = _PHONE.sub(phone, masked)
    return masked, masked != text


HELD_AND_STARTED = {TaskStatus.in_progress, TaskStatus.awaiting_approval, TaskStatus.completed}


def description_for(task: Task, reader: User | None, mask: bool = True) -> str:
    """A task's public description as `reader` reads it: phone numbers and email addresses masked
    as in messages (`mask_contact_details`, when the setting `mask` asks for it), so a posting does
    not carry what a message may not. Its client reads their own text; the tasker holding it reads
    it whole once the task has started, as messages are sent whole from then on."""
    text = task.description or ""
    if not mask or not text:
        return text
    if reader is not None and reader.role == Role.client and task.client_id == reader.id:
        return text
    if reader is not None and task.tasker_id == reader.id and task.status in HELD_AND_STARTED:
        return text
    return mask_contact_details(text)[0]


def _task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No task {task_id}.")
    return task


def other_party(task: Task, user: User) -> int | None:
    """The person a party writes to: the client writes to the tasker holding the task, the tasker
    to the client. None for anyone else."""
    if user.role == Role.client and task.client_id == user.id:
        return task.tasker_id
    if user.role == Role.tasker and task.tasker_id == user.id:
        return task.client_id
    return None


def client_reads_alone(session: Session, task: Task, user: User) -> bool:
    """The task's client, when nobody holds the task now (a tasker gave it back, or it was
    cancelled before a tasker came back) but messages were written: the client still reads them
    (read-only), so a message sent before the give-back is never lost."""
    if user.role != Role.client or task.client_id != user.id:
        return False
    if task.tasker_id is not None and task.status in READABLE:
        return False  # the usual case: a party with someone to write to
    return session.exec(select(func.count()).where(col(Message.task_id) == task.id)).one() > 0


def may_read(session: Session, task: Task, user: User) -> bool:
    """Whether `user` has a conversation to read on this task (operators aside)."""
    if other_party(task, user) is not None and task.status in READABLE:
        return True
    return client_reads_alone(session, task, user)


def _party_or_refuse(task: Task, user: User) -> int:
    other = other_party(task, user)
    if other is None or task.status not in READABLE:
        # Not a party (or nothing to read yet): the thread does not exist for them.
        raise NotFound(f"No conversation on task {task.id} that you take part in.")
    return other


def send_message(uow: UnitOfWork, sender: User, task_id: int, body: str, mask: bool = True) -> Message:
    session = uow.session
    task = _task(session, task_id)
    recipient = _party_or_refuse(task, sender)
    if task.status not in WRITABLE:
        raise Conflict(f"Task {task_id} is {task.status}: its conversation is closed.")
    body = (body or "").strip()
    if not body:
        raise Invalid("Write something first.", {"body": ["The message is empty."]})
    if len(body) > MAX_BODY:
        raise Invalid("Check the message.", {"body": [f"At most {MAX_BODY} characters ({len(body)} given)."]})
    masked = False
    if mask and task.status in BEFORE_START:
        body, masked = mask_contact_details(body)
    now = utcnow()
    message = Message(
        task_id=task.id, sender_id=sender.id, recipient_id=recipient, body=body, masked=masked, sent_at=now
    )
    session.add(message)
    session.flush()
    _mark_read(session, task.id, sender.id, message.id, now)  # your own message is read
    sent = MessageSent(  # the words stay in the row: the log keeps no private text
        message_id=message.id, task_id=task.id, sender_id=sender.id, recipient_id=recipient, masked=masked, at=now
    )
    uow.emit(sent.event(subject=task.id), key=str(task.id))
    return message


def _mark_read(session: Session, task_id: int, user_id: int, up_to: int, now: datetime) -> None:
    if not insert_if_absent(session, ThreadRead, task_id=task_id, user_id=user_id, last_read_id=up_to, read_at=now):
        row = session.get_one(ThreadRead, (task_id, user_id))
        if up_to > row.last_read_id:
            row.last_read_id, row.read_at = up_to, now
            session.add(row)
            session.flush()


def thread(session: Session, reader: User, task_id: int, reason: str = "") -> dict:
    """The thread as `reader` sees it, oldest first, and marked read up to its newest message (the
    caller commits). Operators give a reason, and may read only a task with a claim for extra time."""
    task = _task(session, task_id)
    now = utcnow()
    if reader.role == Role.operator:
        if session.get(Adjustment, task_id) is None:
            raise Forbidden(
                f"Task {task_id} has no claim or dispute: its conversation is private to its client and tasker."
            )
        reason = (reason or "").strip()
        if not reason or len(reason) > 300:
            raise Invalid("Say why you read this conversation: it is recorded.", {"reason": ["1 to 300 characters."]})
        session.add(OperatorRead(task_id=task_id, operator_id=reader.id, reason=reason, read_at=now))
        session.flush()
    elif not client_reads_alone(session, task, reader):
        _party_or_refuse(task, reader)
    query = select(Message).where(col(Message.task_id) == task_id)
    if reader.role == Role.tasker:  # a tasker who took the task over sees only their own exchanges
        query = query.where(or_(col(Message.sender_id) == reader.id, col(Message.recipient_id) == reader.id))
    messages = list(session.exec(query.order_by(col(Message.id))))
    if messages and reader.role != Role.operator:
        _mark_read(session, task_id, reader.id, messages[-1].id, now)
    names = _names(session, {m.sender_id for m in messages})
    return {
        "task_id": task_id,
        "open": task.status in WRITABLE and task.tasker_id is not None and reader.role != Role.operator,
        # nobody holds the task: the tasker who wrote gave it back (or it was cancelled meanwhile)
        "given_back": task.tasker_id is None,
        "masking": task.status in BEFORE_START,
        "messages": [
            {
                "id": m.id,
                "sender_id": m.sender_id,
                "sender_name": names.get(m.sender_id, ""),
                "mine": m.sender_id == reader.id,
                "body": m.body,
                "masked": m.masked,
                "sent_at": m.sent_at,
            }
            for m in messages
        ],
    }


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.display_name).where(col(User.id).in_(sorted(ids)))).all())


def unread(session: Session, user: User) -> dict:
    """Messages to `user` newer than what they read, per task and in all."""
    rows = session.exec(
        select(Message.task_id, func.count(col(Message.id)))
        .outerjoin(ThreadRead, and_(col(ThreadRead.task_id) == Message.task_id, col(ThreadRead.user_id) == user.id))
        .join(Task, col(Task.id) == Message.task_id)
        .where(
            col(Message.recipient_id) == user.id,
            or_(col(ThreadRead.last_read_id).is_(None), col(Message.id) > ThreadRead.last_read_id),
            or_(col(Task.client_id) == user.id, col(Task.tasker_id) == user.id),  # a party still
        )
        .group_by(col(Message.task_id))
    ).all()
    by_task = {task_id: n for task_id, n in rows}
    return {
        "total": sum(by_task.values()),
        "by_task": [{"task_id": t, "unread": n} for t, n in sorted(by_task.items())],
    }


def operator_reads(session: Session, limit: int = 200) -> list[dict]:
    rows = session.exec(select(OperatorRead).order_by(col(OperatorRead.read_at).desc()).limit(limit)).all()
    names = _names(session, {r.operator_id for r in rows})
    return [
        {"task_id": r.task_id, "operator": names.get(r.operator_id, ""), "reason": r.reason, "read_at": r.read_at}
        for r in rows
    ]
