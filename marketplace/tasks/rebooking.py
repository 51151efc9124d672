"""Rebooking a tasker the client trusts: a posting addressed to a tasker who completed work for
this client. It is priced like any posting (the floor in force, the client's offer); the addressed
tasker alone sees it, at once, for the rebooking window (24 h from posting by default, and never
past the task's start); they accept
it as any task, or decline. Declined or lapsed, it opens to every tasker behind the usual priority
windows, or, if the client chose "only this tasker", it is cancelled free of charge. Either way
the client is told (`task.rebooking_closed`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from events.payloads import RebookingClosed, TaskCancelled
from marketplace.accounts.models import Role, User
from marketplace.community.models import Reputation
from marketplace.community.scoring import TIER_ORDER
from marketplace.db import UnitOfWork
from marketplace.errors import Conflict, NotFound
from marketplace.floors.models import Region
from marketplace.policy import DEFAULTS
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from marketplace.taskers.rates import own_rate, own_rates_in
from marketplace.tasks.events import emit_task_event, task_head
from marketplace.tasks.models import Task, TaskStatus
from marketplace.tasks.steps import record_step
from marketplace.tasks.transitions import Action, move
from pricing.money import format_cents

REBOOK_WINDOW = DEFAULTS.rebook_window


def worked_together(session: Session, client_id: int, tasker_id: int) -> bool:
    query = select(func.count()).where(
        col(Task.client_id) == client_id, col(Task.tasker_id) == tasker_id, col(Task.status) == TaskStatus.completed
    )
    return session.exec(query).one() > 0


def check_addressee(
    session: Session,
    client_id: int,
    tasker_id: int | None,
    only: bool,
    category: str | None = None,
    region: str | None = None,
) -> dict[str, list[str]]:
    """Field errors for a rebooking's addressee (none when it is not a rebooking); given the
    task's category and region, a tasker who does not do that work there is refused too (they
    could only decline it)."""
    if tasker_id is None:
        return {"only_addressed": ["Only with a tasker to address the task to."]} if only else {}
    tasker = session.get(User, tasker_id)
    if tasker is None or tasker.role != Role.tasker or tasker_id == client_id:
        return {"addressed_to": [f"No tasker {tasker_id}."]}
    if not worked_together(session, client_id, tasker_id):
        return {"addressed_to": ["Rebook a tasker who has completed a task for you."]}
    name = tasker.display_name or "This tasker"
    if category is not None and session.get(TaskerSkill, (tasker_id, category)) is None:
        return {"category": [f"{name} does not offer this category now: choose one they do, or post it to everyone."]}
    if region is not None and session.get(TaskerRegion, (tasker_id, region)) is None:
        place = session.get(Region, region)
        where = place.name if place else region
        return {
            "region": [f"{name} does not work in {where} now: choose a region they work in, or post it to everyone."]
        }
    return {}


def rebooking_tasker(session: Session, client_id: int, tasker_id: int | None) -> User | None:
    """The tasker a "Book again" posting may be addressed to: one who completed a task for this
    client and still has an account (None for anyone else, for a closed account, or for no one)."""
    if tasker_id is None or not worked_together(session, client_id, tasker_id):
        return None
    user = session.get(User, tasker_id)
    return user if user is not None and user.is_active else None


def region_for_rebooking(session: Session, tasker_id: int, wanted: str | None, offered: list[str]) -> str | None:
    """Where a "Book again" form opens: the region asked for if the tasker works there, else the
    first of `offered` where they do (never one where they could only decline); None: keep it."""
    theirs = regions_of(session, tasker_id)
    if wanted in theirs:
        return wanted
    return next((region for region in offered if region in theirs), None)


def regions_of(session: Session, tasker_id: int) -> list[str]:
    """The regions a tasker works in, by slug (for "Book again": a region where they work)."""
    query = select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == tasker_id)
    return sorted(session.exec(query).all())


def exclusive_until(posted_at: datetime, starts_at: datetime, window: timedelta = REBOOK_WINDOW) -> datetime:
    """Until when a rebooking is its tasker's alone: the window from posting, but never past the
    start (after it, nobody could take the task in time)."""
    return min(posted_at + window, starts_at)


def my_taskers(session: Session, client_id: int) -> list[dict]:
    """The taskers who completed tasks for this client, most recent first: for rebooking, with
    their own rates (a task priced under one of them is not open to them: offer it): `rates` per
    category, the rate in every region without its own, and `region_rates` per category and region
    of theirs, the rate that applies there."""
    rows = session.exec(
        select(Task.tasker_id, func.count(), func.max(Task.completed_at))
        .where(col(Task.client_id) == client_id, col(Task.status) == TaskStatus.completed)
        .group_by(col(Task.tasker_id))
    ).all()
    ids = [tasker_id for tasker_id, _, _ in rows if tasker_id is not None]
    if not ids:
        return []
    # A closed account (docs/privacy.md) is not offered: nobody answers for it any more.
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids), col(User.is_active)))}
    categories: dict[int, list[str]] = {}
    for tasker_id, category in session.exec(
        select(Task.tasker_id, Task.category)
        .where(col(Task.client_id) == client_id, col(Task.status) == TaskStatus.completed)
        .distinct()
    ):
        if tasker_id is not None:
            categories.setdefault(tasker_id, []).append(category)
    rates: dict[int, dict[str, int]] = {}
    region_rates: dict[int, dict[str, dict[str, int]]] = {}  # tasker -> category -> region -> rate there
    skills = list(session.exec(select(TaskerSkill).where(col(TaskerSkill.tasker_id).in_(ids))))
    for skill in skills:
        rates.setdefault(skill.tasker_id, {})[skill.category] = own_rate(skill)
    worked_in: dict[int, set[str]] = {}
    for tasker_id, region in session.exec(
        select(TaskerRegion.tasker_id, TaskerRegion.region).where(col(TaskerRegion.tasker_id).in_(ids))
    ):
        worked_in.setdefault(tasker_id, set()).add(region)
    for region in sorted(set().union(*worked_in.values())):
        here = [s for s in skills if region in worked_in.get(s.tasker_id, set())]
        for (tasker_id, category), rate in own_rates_in(session, region, here).items():
            region_rates.setdefault(tasker_id, {}).setdefault(category, {})[region] = rate
    tiers: dict[int, str] = {}  # each tasker's best tier in any category
    for rep in session.exec(select(Reputation).where(col(Reputation.tasker_id).in_(ids))):
        if TIER_ORDER[rep.tier] > TIER_ORDER[tiers.get(rep.tasker_id, "newcomer")]:
            tiers[rep.tasker_id] = rep.tier
    ordered = sorted(rows, key=lambda r: (r[2] is not None, r[2] or datetime.min, -(r[0] or 0)), reverse=True)
    return [
        {
            "tasker_id": tasker_id,
            "display_name": users[tasker_id].display_name or f"Tasker {tasker_id}",
            "tasks_completed": count,
            "last_completed_at": last,
            "categories": sorted(categories.get(tasker_id, [])),
            "rates": rates.get(tasker_id, {}),
            "region_rates": region_rates.get(tasker_id, {}),
            "tier": tiers.get(tasker_id, "newcomer"),
        }
        for tasker_id, count, last in ordered  # most recent first
        if tasker_id in users
    ]


def addressee_rate_note(session: Session, tasker_id: int | None, category: str, region: str, rate: int) -> str | None:
    """What the preview says when the addressed tasker cannot take the task as priced: their own
    rate in the task's region is above its rate (or they do not work its category or region)."""
    if tasker_id is None:
        return None
    if problem := addressee_problem(session, tasker_id, category, region):
        return problem
    skill = session.get_one(TaskerSkill, (tasker_id, category))
    tasker = session.get_one(User, tasker_id)
    name = tasker.display_name or "This tasker"
    place = session.get(Region, region)
    where = place.name if place else region
    theirs = own_rates_in(session, region, [skill])[tasker_id, category]
    if theirs <= rate:
        return None
    return (
        f"{name}'s own rate for this work in {where} is {format_cents(theirs)}/h, above the "
        f"{format_cents(rate)}/h this task pays: offer {format_cents(theirs)}/h so they can take it."
    )


def addressee_problem(session: Session, tasker_id: int | None, category: str, region: str) -> str | None:
    """Why the addressed tasker could not take this task at all (posting it is refused), or None."""
    if tasker_id is None:
        return None
    tasker = session.get(User, tasker_id)
    name = (tasker.display_name if tasker else "") or "This tasker"
    if tasker is None or session.get(TaskerSkill, (tasker_id, category)) is None:
        return f"{name} does not offer this category now."
    if session.get(TaskerRegion, (tasker_id, region)) is None:
        place = session.get(Region, region)
        return f"{name} does not work in {place.name if place else region} now."
    return None


def _close(uow: UnitOfWork, task: Task, reason: str, now: datetime) -> None:
    """The addressed tasker declined (or let it lapse): open the task to everyone, or, when the
    client asked for this tasker only, the platform cancels it free of charge (its own action, not
    the client's: the event says `cancelled_by: platform`, and the hold is released)."""
    addressee, only = task.addressed_to_id, task.only_addressed
    assert addressee is not None  # only an addressed task is closed
    task.addressed_to_id, task.addressed_until = None, None
    nobody = task_head(task, now, tasker_id=None)
    emit_task_event(uow, RebookingClosed(**nobody, addressed_to_id=addressee, reason=reason, reopened=not only))
    words = "declined" if reason == "declined" else "did not answer in time"
    if only:
        move(task, Action.platform_cancels)
        task.cancelled_at, task.cancelled_by = now, "platform"
        note = f"The tasker you rebooked {words}; you asked for them only, so it is cancelled free of charge."
        emit_task_event(uow, TaskCancelled(**nobody, cancelled_by="platform", fee=None, reopened=False))
        record_step(uow.session, task.id, "cancelled", now, None, "", note)
    else:
        task.priced_at = now  # in the open feed from now, behind the priority windows
        record_step(uow.session, task.id, "reopened", now, None, "", f"The tasker you rebooked {words}.")
    uow.session.add(task)


def decline_rebooking(uow: UnitOfWork, tasker: User, task_id: int, now: datetime) -> Task:
    session = uow.session
    task = session.exec(select(Task).where(col(Task.id) == task_id).with_for_update()).first()
    if task is None or task.addressed_to_id != tasker.id:
        raise NotFound(f"No task {task_id} addressed to you.")
    if task.status != TaskStatus.priced:
        raise Conflict(f"Task {task_id} is {task.status}: there is nothing to decline.")
    _close(uow, task, "declined", now)
    return task


def lapse_rebookings(uow: UnitOfWork, now: datetime, limit: int = 500) -> int:
    """The sweep: rebookings whose addressed tasker let the window pass."""
    session = uow.session
    due = session.exec(
        select(Task)
        .where(col(Task.addressed_to_id).is_not(None), col(Task.addressed_until) <= now)
        .order_by(col(Task.id))
        .limit(limit)
        .with_for_update()
    ).all()
    for task in due:
        if task.status == TaskStatus.posted:
            continue  # not priced yet (pricing is late): closed once it is, as the client asked
        if task.status == TaskStatus.priced:
            _close(uow, task, "lapsed", now)
        else:  # accepted, or cancelled by the client meanwhile: the address has done its work
            task.addressed_to_id, task.addressed_until = None, None
            session.add(task)
    return sum(1 for task in due if task.status != TaskStatus.posted)
