"""The feed of tasks open to a tasker: authorized holds, in the tasker's regions and skills, at or
above their own rate, once their tier's window has passed (a rebooking addressed to the tasker: at
once, and to no one else until it lapses).

"Their own rate" is the rate the tasker chose, in the task's region (a skill's rate, or the
region's own: taskers.rates). When a floor rise lifted it (`raised_from`), the
lift binds new postings, which are priced at the new floor anyway; it never hides a task booked
under the earlier floor from a tasker who chose to work at that price (docs/pricing.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Select, and_, case, func, or_
from sqlalchemy import select as sql_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from marketplace.community.models import Reputation
from marketplace.community.scoring import TIER_ORDER
from marketplace.floors.models import Category
from marketplace.taskers.levels import Window, delay_for, may_work_clause, standing
from marketplace.taskers.models import TaskerRegion, TaskerRegionRate, TaskerSkill
from marketplace.taskers.rates import own_rate
from marketplace.tasks.models import Task, TaskQuote, TaskStatus


def _open_clauses(
    session: Session, tasker_id: int, window: Window, now: datetime, unclaimed: bool = True, waiting: bool = False
):
    """SQL conditions for the tasks this tasker may take now, or None if there can be none.
    `unclaimed=False` leaves out "still priced", for an accept whose UPDATE settles that itself.
    `waiting=True` asks instead for the tasks that match but whose tier's window has not yet passed."""
    regions = list(session.exec(select(TaskerRegion.region).where(col(TaskerRegion.tasker_id) == tasker_id)))
    skills = session.exec(select(TaskerSkill).where(col(TaskerSkill.tasker_id) == tasker_id)).all()
    own = session.exec(select(TaskerRegionRate).where(col(TaskerRegionRate.tasker_id) == tasker_id)).all()
    st = standing(session, tasker_id)
    by_category = []
    for skill in skills:
        category = session.get(Category, skill.category)
        if category is None or not st.may_work(category):
            continue
        cutoff = now - delay_for(window, st.tier(skill.category))
        timing = col(Task.priced_at) > cutoff if waiting else col(Task.priced_at) <= cutoff
        # A rebooking addressed to someone is theirs alone until it lapses (the sweep then opens
        # it to everyone); addressed to this tasker, it shows at once, ahead of any tier's window.
        unaddressed = and_(col(Task.addressed_to_id).is_(None), timing)
        mine = and_(col(Task.addressed_to_id) == tasker_id, col(Task.addressed_until) > now)
        visible = unaddressed if waiting else or_(unaddressed, mine)
        rate_met = _rate_met(skill, [r for r in own if r.category == skill.category])
        by_category.append(and_(col(Task.category) == skill.category, rate_met, visible))
    if not regions or not by_category:
        return None
    clause = and_(
        col(Task.payment_status) == "authorized",
        col(Task.starts_at) > now,
        col(Task.region).in_(regions),
        or_(*by_category),
    )
    return and_(col(Task.status) == TaskStatus.priced, clause) if unclaimed else clause


def _rate_met(skill: TaskerSkill, own: list[TaskerRegionRate]):
    """The task pays at least the tasker's own rate in the task's region: a region's own rate
    where the skill has one, the skill's rate elsewhere."""
    if not own:
        return col(TaskQuote.rate) >= own_rate(skill)
    return or_(
        and_(col(Task.region).not_in([r.region for r in own]), col(TaskQuote.rate) >= own_rate(skill)),
        *[and_(col(Task.region) == r.region, col(TaskQuote.rate) >= own_rate(r)) for r in own],
    )


def _with_quote(query):
    return query.join(TaskQuote, and_(col(TaskQuote.task_id) == Task.id, col(TaskQuote.kind) == "posted"))


def feed(
    session: Session, tasker_id: int, window: Window, now: datetime, page: int, page_size: int
) -> tuple[list[Task], int]:
    """One page of the tasks open to this tasker, soonest start first, and how many there are."""
    clause = _open_clauses(session, tasker_id, window, now)
    if clause is None:
        return [], 0
    total = session.exec(_with_quote(select(func.count(col(Task.id)))).where(clause)).one()
    tasks = session.exec(
        _with_quote(select(Task))
        .where(clause)
        .order_by(col(Task.starts_at), Task.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(tasks), total


def is_open_to(
    session: Session, tasker_id: int, task_id: int, window: Window, now: datetime, unclaimed: bool = True
) -> bool:
    clause = _open_clauses(session, tasker_id, window, now, unclaimed)
    if clause is None:
        return False
    return session.exec(_with_quote(select(func.count(col(Task.id)))).where(clause, col(Task.id) == task_id)).one() == 1


def taskers_open_to(task_ids: list[int], window: Window, now: datetime, opened_after: datetime | None = None) -> Select:
    """(task id, tasker id) for each of these tasks and each tasker to whom it is open now: the
    rule of `_open_clauses`, for every tasker at once in one query instead of one feed each (a
    test holds the two equal). `opened_after` keeps only the taskers whose tier's window for the
    task opened after that moment; a rebooking's addressee saw it at once, so is not among them."""
    rep = aliased(Reputation)  # the tasker's tier in the task's category: none is a newcomer
    tier = func.coalesce(col(rep.tier), "newcomer")
    seconds = dict(window)

    def window_passed(delay_s: int):
        delay = timedelta(seconds=delay_s)
        passed = col(Task.priced_at) <= now - delay
        return passed if opened_after is None else and_(passed, col(Task.priced_at) > opened_after - delay)

    timing = or_(
        *[and_(tier == name, window_passed(delay_s)) for name, delay_s in seconds.items()],
        and_(tier.not_in(list(seconds)), window_passed(max(seconds.values(), default=0))),  # as delay_for
    )
    unaddressed = and_(col(Task.addressed_to_id).is_(None), timing)
    mine = and_(col(Task.addressed_to_id) == TaskerSkill.tasker_id, col(Task.addressed_until) > now)
    region_own = (  # own_rate of the skill's own rate in the task's region, if it has one
        sql_select(
            case(
                (col(TaskerRegionRate.raised_from) < col(TaskerRegionRate.rate), col(TaskerRegionRate.raised_from)),
                else_=col(TaskerRegionRate.rate),
            )
        )
        .where(
            col(TaskerRegionRate.tasker_id) == TaskerSkill.tasker_id,
            col(TaskerRegionRate.category) == Task.category,
            col(TaskerRegionRate.region) == Task.region,
        )
        .scalar_subquery()
    )
    own_rate_met = col(TaskQuote.rate) >= func.coalesce(region_own, TaskerSkill.rate)  # own_rate() <= its rate
    return (
        sql_select(col(Task.id), col(TaskerSkill.tasker_id))
        .join(TaskQuote, and_(col(TaskQuote.task_id) == Task.id, col(TaskQuote.kind) == "posted"))
        .join(TaskerSkill, col(TaskerSkill.category) == Task.category)
        .join(
            TaskerRegion,
            and_(col(TaskerRegion.tasker_id) == TaskerSkill.tasker_id, col(TaskerRegion.region) == Task.region),
        )
        .join(Category, col(Category.slug) == Task.category)
        .outerjoin(rep, and_(col(rep.tasker_id) == TaskerSkill.tasker_id, col(rep.category) == Task.category))
        .where(
            col(Task.id).in_(task_ids),
            col(Task.status) == TaskStatus.priced,
            col(Task.payment_status) == "authorized",
            col(Task.starts_at) > now,
            own_rate_met,
            may_work_clause(TaskerSkill.tasker_id, col(Task.category), col(Category.level)),
            unaddressed if opened_after is not None else or_(unaddressed, mine),
        )
    )


def higher_tier_first(window: Window, tier: str) -> bool:
    """Whether some tier above `tier` sees a task before it does. When none does (the top tier,
    or every tier waits as long), the wait is everyone's, not a matter of tier."""
    mine = delay_for(window, tier)
    rank = TIER_ORDER.get(tier, 0)
    return any(delay_for(window, other) < mine for other, order in TIER_ORDER.items() if order > rank)


@dataclass(frozen=True)
class Waiting:
    """Tasks that match a tasker but whose tier's window has not passed yet."""

    count: int
    next_opens_at: datetime | None
    windows: dict[str, int]  # category -> seconds after pricing before this tasker sees its tasks
    higher_tiers_first: bool  # some of them are shown to a higher tier before this tasker


@dataclass(frozen=True)
class WaitingTask:
    """A task that matches a tasker, and when it opens to them."""

    task: Task
    opens_at: datetime
    higher_tiers_first: bool  # a higher tier saw (or sees) it before this tasker


def _delays(session: Session, tasker_id: int, window: Window) -> tuple[dict[str, timedelta], dict[str, bool]]:
    """Per category of the tasker's skills: their tier's wait, and whether a higher tier waits less."""
    st = standing(session, tasker_id)
    skills = session.exec(select(TaskerSkill.category).where(col(TaskerSkill.tasker_id) == tasker_id)).all()
    delays = {c: delay_for(window, st.tier(c)) for c in skills}
    return delays, {c: higher_tier_first(window, st.tier(c)) for c in skills}


def waiting_behind_window(session: Session, tasker_id: int, window: Window, now: datetime) -> Waiting:
    delays, ahead = _delays(session, tasker_id, window)
    windows = {c: int(d.total_seconds()) for c, d in delays.items()}
    clause = _open_clauses(session, tasker_id, window, now, waiting=True)
    if clause is None:
        return Waiting(0, None, windows, False)
    rows = session.exec(
        _with_quote(select(Task.category, func.count(col(Task.id)), func.min(col(Task.priced_at))))
        .where(clause)
        .group_by(col(Task.category))
    ).all()
    count = sum(n for _, n, _ in rows)
    opens = [to_utc_aware(first) + delays[category] for category, _, first in rows if first is not None]
    first = any(ahead.get(category, False) for category, n, _ in rows if n)
    return Waiting(count, min(opens, default=None), windows, first)


def waiting_tasks(
    session: Session, tasker_id: int, window: Window, now: datetime, limit: int = 20, task_id: int | None = None
) -> list[WaitingTask]:
    """The tasks behind this tasker's window (or just `task_id`, if it is), the first to open first."""
    clause = _open_clauses(session, tasker_id, window, now, waiting=True)
    if clause is None:
        return []
    if task_id is not None:
        clause = and_(clause, col(Task.id) == task_id)
    delays, ahead = _delays(session, tasker_id, window)
    tasks = session.exec(
        _with_quote(select(Task)).where(clause).order_by(col(Task.priced_at), col(Task.id)).limit(limit)
    ).all()
    found = [
        WaitingTask(t, to_utc_aware(t.priced_at) + delays[t.category], ahead[t.category])
        for t in tasks
        if t.priced_at is not None
    ]
    return sorted(found, key=lambda w: (w.opens_at, w.task.id))


def opens_to_you_at(
    session: Session, tasker_id: int, task_id: int, window: Window, now: datetime
) -> WaitingTask | None:
    """When a task that matches this tasker, but is still behind their tier's window, opens to
    them; None if it is not such a task (open already, or not for them at all)."""
    found = waiting_tasks(session, tasker_id, window, now, limit=1, task_id=task_id)
    return found[0] if found else None


def to_utc_aware(when: datetime) -> datetime:
    """An aggregate's time comes back without the column type's zone on SQLite: it is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
