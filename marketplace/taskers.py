"""Taskers: their skills and own rates, the levels they have unlocked, and the feed of tasks
open to them.

A task is open to a tasker once the client's card hold is authorized, if the tasker has its
category and region, has unlocked the category's level, asks no more than the task's rate, and
their tier's priority window has passed since pricing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlmodel import Session, delete, select

from marketplace.errors import Invalid, NotFound
from marketplace.floors import current_rule
from marketplace.models import (
    Category,
    Level,
    Quote,
    Region,
    Reputation,
    Role,
    Task,
    TaskerLicense,
    TaskerRegion,
    TaskerSkill,
    TaskStatus,
    User,
)
from marketplace.scoring import SKILLED_MIN_COMPLETED, SKILLED_MIN_TIER, TIER_ORDER
from pricing.money import format_cents

Window = tuple[tuple[str, int], ...]  # (tier, seconds after pricing before that tier sees a task)


@dataclass(frozen=True)
class SkillSpec:
    category: str
    rate: int  # cents an hour


@dataclass
class Standing:
    """What a tasker has earned: a tier per category, and the levels that opens."""

    tiers: dict[str, str] = field(default_factory=dict)
    completed: int = 0
    licensed: set[str] = field(default_factory=set)

    @property
    def skilled(self) -> bool:
        best = max((TIER_ORDER[t] for t in self.tiers.values()), default=0)
        return self.completed >= SKILLED_MIN_COMPLETED and best >= TIER_ORDER[SKILLED_MIN_TIER]

    def tier(self, category: str) -> str:
        return self.tiers.get(category, "newcomer")

    def may_work(self, category: Category) -> bool:
        if category.level == Level.licensed:
            return category.slug in self.licensed
        if category.level == Level.skilled:
            return self.skilled
        return True


def standing(session: Session, tasker_id: int) -> Standing:
    reps = session.exec(select(Reputation).where(Reputation.tasker_id == tasker_id)).all()
    licensed = set(session.exec(select(TaskerLicense.category).where(TaskerLicense.tasker_id == tasker_id)))
    return Standing({r.category: r.tier for r in reps}, sum(r.completed for r in reps), licensed)


def delay_for(window: Window, tier: str) -> timedelta:
    seconds = dict(window)
    return timedelta(seconds=seconds.get(tier, max(seconds.values(), default=0)))


def _binding_floors(session: Session, category: str, regions: list[str]) -> list[tuple[str, int]]:
    rules = [(r, current_rule(session, category, r)) for r in regions]
    return [(r, rule.hourly_floor) for r, rule in rules if rule is not None]


def set_skills(uow, tasker_id: int, regions: list[str], skills: list[SkillSpec]) -> None:
    """Replace a tasker's regions and skills. A rate under the floor of any of their regions is
    refused with a 422 that names that floor (no tasker undercuts it)."""
    session = uow.session
    errors: dict = {}
    known_regions = set(session.exec(select(Region.slug)))
    bad = [r for r in regions if r not in known_regions]
    if bad:
        errors["regions"] = [f"Unknown region(s): {', '.join(sorted(set(bad)))}."]
    if len(set(regions)) != len(regions):
        errors.setdefault("regions", []).append("List each region once.")
    skill_errors: dict[str, dict[str, list[str]]] = {}
    seen: set[str] = set()
    for i, skill in enumerate(skills):
        if session.get(Category, skill.category) is None:
            skill_errors[str(i)] = {"category": [f"Unknown category {skill.category!r}."]}
        elif skill.category in seen:
            skill_errors[str(i)] = {"category": [f"{skill.category} is listed twice."]}
        elif not bad:
            floors = _binding_floors(session, skill.category, regions)
            if floors:
                region, floor = max(floors, key=lambda f: f[1])
                if skill.rate < floor:
                    skill_errors[str(i)] = {
                        "rate": [
                            f"{format_cents(skill.rate)}/h is below the floor of {format_cents(floor)}/h "
                            f"({floor} cents) for {skill.category} in {region}."
                        ]
                    }
        seen.add(skill.category)
    if skill_errors:
        errors["skills"] = skill_errors
    if errors:
        raise Invalid("Your skills were not saved." if "skills" in errors else "Check your regions.", errors)

    previous = {s.category: s for s in session.exec(select(TaskerSkill).where(TaskerSkill.tasker_id == tasker_id))}
    session.exec(delete(TaskerSkill).where(TaskerSkill.tasker_id == tasker_id))
    session.exec(delete(TaskerRegion).where(TaskerRegion.tasker_id == tasker_id))
    session.expunge_all()
    for region in regions:
        session.add(TaskerRegion(tasker_id=tasker_id, region=region))
    for skill in skills:
        before = previous.get(skill.category)
        kept = before is not None and before.rate == skill.rate  # keep the notice of a raise
        session.add(
            TaskerSkill(
                tasker_id=tasker_id,
                category=skill.category,
                rate=skill.rate,
                raised_from=before.raised_from if kept else None,
                raised_at=before.raised_at if kept else None,
            )
        )
    session.flush()


def skills_view(session: Session, tasker_id: int) -> dict:
    st = standing(session, tasker_id)
    regions = list(
        session.exec(
            select(TaskerRegion.region).where(TaskerRegion.tasker_id == tasker_id).order_by(TaskerRegion.region)
        )
    )
    skills = []
    for skill in session.exec(
        select(TaskerSkill).where(TaskerSkill.tasker_id == tasker_id).order_by(TaskerSkill.category)
    ):
        category = session.get(Category, skill.category)
        floors = _binding_floors(session, skill.category, regions)
        skills.append(
            {
                "category": skill.category,
                "rate": skill.rate,
                "level": category.level,
                "unlocked": st.may_work(category),
                "floor": max((f for _, f in floors), default=None),
                "raised_from": skill.raised_from,
                "raised_at": skill.raised_at,
            }
        )
    return {"regions": regions, "skills": skills, "skilled_unlocked": st.skilled, "licensed": sorted(st.licensed)}


def verify_license(uow, operator_id: int, tasker_id: int, category: str, note: str = "") -> TaskerLicense:
    session = uow.session
    tasker = session.get(User, tasker_id)
    if tasker is None or tasker.role != Role.tasker:
        raise NotFound(f"No tasker {tasker_id}.")
    cat = session.get(Category, category)
    if cat is None or cat.level != Level.licensed:
        raise Invalid(
            "Only licensed categories need a verification.", {"category": [f"{category!r} is not a licensed category."]}
        )
    row = session.get(TaskerLicense, (tasker_id, category))
    if row is None:
        row = TaskerLicense(tasker_id=tasker_id, category=category, verified_by=operator_id, note=note)
        session.add(row)
        session.flush()
    return row


def _open_clauses(session: Session, tasker_id: int, window: Window, now: datetime, unclaimed: bool = True):
    """SQL conditions for the tasks this tasker may take now, or None if there can be none.
    `unclaimed=False` leaves out "still priced", for an accept whose UPDATE settles that itself."""
    regions = list(session.exec(select(TaskerRegion.region).where(TaskerRegion.tasker_id == tasker_id)))
    skills = session.exec(select(TaskerSkill).where(TaskerSkill.tasker_id == tasker_id)).all()
    st = standing(session, tasker_id)
    by_category = []
    for skill in skills:
        category = session.get(Category, skill.category)
        if category is None or not st.may_work(category):
            continue
        cutoff = now - delay_for(window, st.tier(skill.category))
        by_category.append(and_(Task.category == skill.category, Quote.rate >= skill.rate, Task.priced_at <= cutoff))
    if not regions or not by_category:
        return None
    clause = and_(
        Task.payment_status == "authorized", Task.starts_at > now, Task.region.in_(regions), or_(*by_category)
    )
    return and_(Task.status == TaskStatus.priced, clause) if unclaimed else clause


def _with_quote(query):
    return query.join(Quote, and_(Quote.task_id == Task.id, Quote.kind == "posted"))


def feed(
    session: Session, tasker_id: int, window: Window, now: datetime, page: int, page_size: int
) -> tuple[list[Task], int]:
    """One page of the tasks open to this tasker, soonest start first, and how many there are."""
    clause = _open_clauses(session, tasker_id, window, now)
    if clause is None:
        return [], 0
    total = session.exec(_with_quote(select(func.count(Task.id))).where(clause)).one()
    tasks = session.exec(
        _with_quote(select(Task))
        .where(clause)
        .order_by(Task.starts_at, Task.id)
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
    return session.exec(_with_quote(select(func.count(Task.id))).where(clause, Task.id == task_id)).one() == 1
