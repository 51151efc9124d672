"""Posting a task: the client's draft, checked, stored as `posted`, and announced on tasks.posted; once
per idempotency key."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from events.envelope import CloudEvent
from events.payloads import TaskPosted
from marketplace.clock import to_utc, utcnow
from marketplace.db import UnitOfWork, UnitOfWorkFactory, construct
from marketplace.errors import Invalid
from marketplace.floors.catalog import is_category, is_region
from marketplace.floors.zones import LocalTimeError, from_local, zone_of
from marketplace.tasks.models import IdempotencyKey, Task, TaskStatus
from marketplace.tasks.rebooking import REBOOK_WINDOW, check_addressee, exclusive_until
from marketplace.text import line_problem
from pricing.quote import MAX_ESTIMATED_MINUTES, MAX_OFFERED_RATE

MAX_BOOKING_AHEAD = timedelta(days=3653)  # a start more than ten years out is a typo


@dataclass(frozen=True)
class TaskDraft:
    category: str
    region: str
    title: str
    description: str
    estimated_minutes: int
    starts_at: datetime
    offered_rate: int | None = None
    area: str = ""  # public: an approximate area for the feed
    address: str = ""  # private: only the client, the tasker holding the task, and operators
    access_notes: str = ""  # private, like the address (a gate code, where the key is)
    handoffs_allowed: bool = True  # False: the tasker who accepts must do it (no hand-off to a peer)
    addressed_to: int | None = None  # a rebooking: the tasker (who worked for this client) it is for
    only_addressed: bool = False  # a rebooking for that tasker only: cancelled free if they decline


MAX_AREA, MAX_ADDRESS, MAX_ACCESS_NOTES = 80, 300, 1000
_INSERT_TASK = insert(Task.__table__).returning(Task.__table__.c.id)  # type: ignore[attr-defined]  # SQLModel sets it


def post_task(uow: UnitOfWork, client_id: int, draft: TaskDraft, rebook_window: timedelta = REBOOK_WINDOW) -> Task:
    """Record a posting and emit `task.posted`; pricing happens downstream (answer: 202). A
    rebooking is the addressed tasker's alone for `rebook_window` from now, or until the start
    if that comes first; it is refused when the tasker does not do its category in its region."""
    session = uow.session
    errors: dict[str, list[str]] = {}
    if problem := line_problem(draft.title):  # it travels into email subjects
        errors["title"] = [problem]
    if not is_category(session, draft.category):
        errors["category"] = [f"Unknown category {draft.category!r}."]
    if not is_region(session, draft.region):
        errors["region"] = [f"Unknown region {draft.region!r}."]
    starts_at = to_utc(draft.starts_at)
    if starts_at is None:
        errors["starts_at"] = ["Give a time with a zone, e.g. 2026-12-01T09:00:00Z."]
    elif starts_at < utcnow() - timedelta(minutes=5):
        errors["starts_at"] = ["The start must not be in the past."]
    elif starts_at > utcnow() + MAX_BOOKING_AHEAD:
        errors["starts_at"] = [f"Must be within {MAX_BOOKING_AHEAD.days} days from now."]
    if not 1 <= draft.estimated_minutes <= MAX_ESTIMATED_MINUTES:
        errors["estimated_minutes"] = [f"Must be between 1 and {MAX_ESTIMATED_MINUTES}."]
    if draft.offered_rate is not None and not 0 <= draft.offered_rate <= MAX_OFFERED_RATE:
        errors["offered_rate"] = [f"Must be between 0 and {MAX_OFFERED_RATE} cents an hour."]
    for name, most in (("area", MAX_AREA), ("address", MAX_ADDRESS), ("access_notes", MAX_ACCESS_NOTES)):
        if len(getattr(draft, name)) > most:
            errors[name] = [f"At most {most} characters."]
    if "category" not in errors and "region" not in errors:
        errors.update(
            check_addressee(session, client_id, draft.addressed_to, draft.only_addressed, draft.category, draft.region)
        )
    else:
        errors.update(check_addressee(session, client_id, draft.addressed_to, draft.only_addressed))
    if errors or starts_at is None:
        raise Invalid("The task could not be posted.", errors)
    task = construct(  # Task(...) without SQLModel's per-field __setattr__: the posting's hot path
        Task,
        client_id=client_id,
        category=draft.category,
        region=draft.region,
        title=draft.title,
        description=draft.description,
        estimated_minutes=draft.estimated_minutes,
        starts_at=starts_at,
        offered_rate=draft.offered_rate,
        area=draft.area.strip(),
        address=draft.address.strip(),
        access_notes=draft.access_notes.strip(),
        handoffs_allowed=draft.handoffs_allowed,
        status=TaskStatus.posted,
        addressed_to_id=draft.addressed_to,
        addressed_until=exclusive_until(utcnow(), starts_at, rebook_window) if draft.addressed_to is not None else None,
        only_addressed=draft.only_addressed,
    )
    # One Core INSERT .. RETURNING id instead of the ORM's flush: posting is the hottest write path,
    # and the task is not changed again in this unit of work. (Its "posted" step is the row's own
    # posted_at: the timeline reads it from there.)
    values = task.model_dump(exclude={"id"}, exclude_none=True)  # NULL by default; fewer parameters to adapt
    task.id = session.connection().execute(_INSERT_TASK, values).scalar_one()
    uow.emit(posted_event(task), key=str(task.id))
    return task


def posted_event(task: Task) -> CloudEvent:
    """The task.posted event for a task (the sweeper rebuilds it from the task, too)."""
    return TaskPosted(
        task_id=task.id,
        client_id=task.client_id,
        category=task.category,
        region=task.region,
        title=task.title,
        estimated_minutes=task.estimated_minutes,
        starts_at=task.starts_at,
        offered_rate=task.offered_rate,
        posted_at=task.posted_at,
    ).event(subject=task.id)


def post_task_idempotently(
    uow_factory: UnitOfWorkFactory,
    client_id: int,
    draft: TaskDraft,
    key: str,
    rebook_window: timedelta = REBOOK_WINDOW,
) -> tuple[Task, bool]:
    """post_task under a client's idempotency key (Stripe's rule), in its own unit of work: the
    same key with the same request gives back the first task (and False: nothing new was
    posted); with a different request it is refused. Two requests racing with one key: the
    database's unique key lets one insert, and the other's second try finds the first's task."""
    # Fields at their defaults are left out, so a key stored before they existed still matches.
    later = {
        "area": "",
        "address": "",
        "access_notes": "",
        "handoffs_allowed": True,
        "addressed_to": None,
        "only_addressed": False,
    }
    fields = {k: v for k, v in asdict(draft).items() if not (k in later and v == later[k])}
    fingerprint = hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()
    for attempt in (1, 2):
        try:
            with uow_factory() as uow:
                session = uow.session
                seen = session.get(IdempotencyKey, (client_id, key))
                if seen is not None:
                    if seen.request_hash != fingerprint or seen.task_id is None:
                        raise Invalid(
                            "This Idempotency-Key was already used for a different task.",
                            {"Idempotency-Key": ["Use a new key for a new task."]},
                        )
                    return session.get_one(Task, seen.task_id), False
                claim = IdempotencyKey(user_id=client_id, key=key, request_hash=fingerprint)
                session.add(claim)
                session.flush()  # the unique key decides a race here, before any task is made
                task = post_task(uow, client_id, draft, rebook_window)
                claim.task_id = task.id
                session.add(claim)
                uow.commit()
                return task, True
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def submit_posting(
    uow_factory: UnitOfWorkFactory,
    client_id: int,
    draft: TaskDraft,
    key: str | None = None,
    rebook_window: timedelta = REBOOK_WINDOW,
) -> tuple[Task, bool]:
    """The one way a client's posting comes in, from the web form and from the API alike: each in
    its own unit of work. A start without a zone is the wall-clock time of the task's region (what
    a person types on the form); with an idempotency key (the API's header, the form's single-use
    token) a retry gives back the first task, and False; without one every call posts."""
    if draft.starts_at.tzinfo is None:
        with uow_factory() as uow:
            draft = replace(draft, starts_at=region_time(uow.session, draft.region, draft.starts_at))
    if key is None:
        with uow_factory() as uow:
            task = post_task(uow, client_id, draft, rebook_window)
            uow.commit()
        return task, True
    return post_task_idempotently(uow_factory, client_id, draft, key, rebook_window)


def region_time(session, region: str, wall: datetime) -> datetime:
    """A wall-clock time in `region` as a UTC instant; a time its clocks skip is refused with the
    field to fix (a time that happens twice is the first of the two)."""
    try:
        return from_local(wall, zone_of(session, region))
    except LocalTimeError as exc:
        raise Invalid("Check the start time.", {"starts_at": [str(exc)]}) from None
