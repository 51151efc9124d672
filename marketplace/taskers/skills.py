"""A tasker's regions and skills, each with the tasker's own rate, never below the floor that binds it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from marketplace.db import UnitOfWork
from marketplace.errors import Invalid
from marketplace.floors.models import Category, Region
from marketplace.floors.versions import current_rule
from marketplace.taskers.levels import standing
from marketplace.taskers.models import TaskerRegion, TaskerSkill
from pricing.money import format_cents


@dataclass(frozen=True)
class SkillSpec:
    category: str
    rate: int  # cents an hour


def binding_floors(session: Session, category: str, regions: list[str]) -> list[tuple[str, int]]:
    rules = [(r, current_rule(session, category, r)) for r in regions]
    return [(r, rule.hourly_floor) for r, rule in rules if rule is not None]


def set_skills(uow: UnitOfWork, tasker_id: int, regions: list[str], skills: list[SkillSpec]) -> None:
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
            floors = binding_floors(session, skill.category, regions)
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

    previous = {s.category: s for s in session.exec(select(TaskerSkill).where(col(TaskerSkill.tasker_id) == tasker_id))}
    session.exec(delete(TaskerSkill).where(col(TaskerSkill.tasker_id) == tasker_id))
    session.exec(delete(TaskerRegion).where(col(TaskerRegion.tasker_id) == tasker_id))
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
                raised_from=before.raised_from if kept and before else None,
                raised_at=before.raised_at if kept and before else None,
            )
        )
    session.flush()


def skills_view(session: Session, tasker_id: int) -> dict:
    st = standing(session, tasker_id)
    regions = list(
        session.exec(
            select(TaskerRegion.region)
            .where(col(TaskerRegion.tasker_id) == tasker_id)
            .order_by(col(TaskerRegion.region))
        )
    )
    skills = []
    for skill in session.exec(
        select(TaskerSkill).where(col(TaskerSkill.tasker_id) == tasker_id).order_by(col(TaskerSkill.category))
    ):
        category = session.get_one(Category, skill.category)  # a skill's category is a foreign key
        floors = binding_floors(session, skill.category, regions)
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
    return {
        "regions": regions,
        "skills": skills,
        "skilled_unlocked": st.skilled,
        "mentored": sorted(st.mentored),
        "licensed": sorted(st.licensed),
    }
