"""A tasker's regions and skills. A skill has one rate for every region, and may have a rate of its
own in some of them (where that region's floor is higher, or where the tasker asks more or less);
no region's rate is ever below that region's floor. Replacing everything, adding or changing one
skill, removing one, and setting the regions each answer what they changed (`Changes`).

Over 400 lines on purpose: the ways of changing skills (all, one, remove one, the regions) answer
the same `Changes` and check the same floors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from marketplace.clock import utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import Invalid, NotFound
from marketplace.floors.models import Category, Region
from marketplace.floors.versions import current_rule
from marketplace.taskers.levels import standing
from marketplace.taskers.models import TaskerRegion, TaskerRegionRate, TaskerSkill
from pricing.money import format_cents
from pricing.rules import MAX_FLOOR_CENTS


@dataclass(frozen=True)
class SkillSpec:
    category: str
    rate: int  # cents an hour, in every region without a rate of its own
    region_rates: Mapping[str, int] = field(default_factory=dict)  # region -> cents an hour there


@dataclass(frozen=True)
class RateChange:
    category: str
    region: str | None  # None: the skill's rate, in every region without a rate of its own
    before: int | None  # None: there was none
    after: int | None  # None: there is none now
    lifted: bool = False  # to the floor of a region just added, the tasker's rate being under it


@dataclass
class Changes:
    """What one change to a tasker's skills and regions changed, in data and in sentences."""

    skills_added: list[str] = field(default_factory=list)
    skills_removed: list[str] = field(default_factory=list)
    regions_added: list[str] = field(default_factory=list)
    regions_removed: list[str] = field(default_factory=list)
    rates: list[RateChange] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "skills_added": self.skills_added,
            "skills_removed": self.skills_removed,
            "regions_added": self.regions_added,
            "regions_removed": self.regions_removed,
            "rates": [
                {"category": r.category, "region": r.region, "from": r.before, "to": r.after, "lifted": r.lifted}
                for r in self.rates
            ],
            "summary": self.summary,
        }


def binding_floors(session: Session, category: str, regions: list[str]) -> list[tuple[str, int]]:
    rules = [(r, current_rule(session, category, r)) for r in regions]
    return [(r, rule.hourly_floor) for r, rule in rules if rule is not None]


def money(cents: int) -> str:
    return f"{format_cents(cents)}/h"


@dataclass
class _Row:
    rate: int
    chosen: bool
    raised_from: int | None = None
    raised_at: datetime | None = None


@dataclass
class _State:
    """A tasker's regions, skills and regions' own rates, as stored."""

    regions: dict[str, TaskerRegion]
    skills: dict[str, TaskerSkill]
    own: dict[tuple[str, str], TaskerRegionRate]

    def rate_in(self, category: str, region: str) -> int:
        row = self.own.get((category, region))
        return row.rate if row is not None else self.skills[category].rate


def _read(session: Session, tasker_id: int) -> _State:
    return _State(
        {r.region: r for r in session.exec(select(TaskerRegion).where(col(TaskerRegion.tasker_id) == tasker_id))},
        {s.category: s for s in session.exec(select(TaskerSkill).where(col(TaskerSkill.tasker_id) == tasker_id))},
        {
            (r.category, r.region): r
            for r in session.exec(select(TaskerRegionRate).where(col(TaskerRegionRate.tasker_id) == tasker_id))
        },
    )


class _Names:
    """Categories' and regions' names for the sentences, and the floors in force, each read once."""

    def __init__(self, session: Session):
        self.session = session
        self._floors: dict[tuple[str, str], int | None] = {}
        self.categories = {c.slug: c.name for c in session.exec(select(Category))}
        self.regions = {r.slug: r.name for r in session.exec(select(Region))}

    def floor(self, category: str, region: str) -> int | None:
        key = (category, region)
        if key not in self._floors:
            rule = current_rule(self.session, category, region)
            self._floors[key] = rule.hourly_floor if rule is not None else None
        return self._floors[key]

    def category(self, slug: str) -> str:
        return self.categories.get(slug, slug)

    def region(self, slug: str) -> str:
        return self.regions.get(slug, slug)


def _check_regions(names: _Names, regions: list[str]) -> dict:
    errors: dict = {}
    bad = sorted({r for r in regions if r not in names.regions})
    if bad:
        errors["regions"] = [f"Unknown region(s): {', '.join(bad)}."]
    if len(set(regions)) != len(regions):
        errors.setdefault("regions", []).append("List each region once.")
    return errors


def _in_range(rate: int) -> str | None:
    if not 0 <= rate <= MAX_FLOOR_CENTS:
        return f"A rate from 0 to {MAX_FLOOR_CENTS} cents an hour."
    return None


def _plan(names: _Names, spec: SkillSpec, regions: list[str], before: _State) -> tuple[dict[str, _Row], dict]:
    """The rows of a skill's regions' own rates that `spec` asks for (a region left out follows the
    skill's rate), and the field errors if any rate would be under its region's floor. A region's
    rate the tasker restates unchanged keeps the notice of a raise; a rate a floor lifted stays
    lifted while the skill's rate is unchanged."""
    category = spec.category
    errors: dict[str, list[str] | dict[str, list[str]]] = {}
    rows: dict[str, _Row] = {}
    problem = _in_range(spec.rate)
    if problem:
        errors["rate"] = [problem]
    region_errors: dict[str, list[str]] = {}
    for region, rate in spec.region_rates.items():
        floor = names.floor(category, region)
        old = before.own.get((category, region))
        if region not in regions:
            region_errors[region] = [f"{names.region(region)} is not one of your regions: add the region first."]
        elif problem := _in_range(rate):
            region_errors[region] = [problem]
        elif floor is not None and rate < floor:
            region_errors[region] = [
                f"{money(rate)} is below the floor of {money(floor)} for {names.category(category)} in "
                f"{names.region(region)}."
            ]
        elif old is not None and old.chosen and old.rate == rate:
            rows[region] = _Row(rate, True, old.raised_from, old.raised_at)
        else:
            rows[region] = _Row(rate, True)
    if region_errors:
        errors["region_rates"] = region_errors
    if "rate" in errors:
        return rows, errors
    under = []
    kept_base = category in before.skills and before.skills[category].rate == spec.rate
    for region in regions:
        if region in spec.region_rates:
            continue
        floor = names.floor(category, region)
        old = before.own.get((category, region))
        if kept_base and old is not None and not old.chosen:  # a floor's lift stays while the rate does
            lifted = max(old.rate, floor or 0)
            rows[region] = _Row(lifted, False, old.raised_from, old.raised_at if lifted == old.rate else utcnow())
        elif floor is not None and spec.rate < floor:
            under.append(
                f"{money(spec.rate)} is below the floor of {money(floor)} for {names.category(category)} in "
                f"{names.region(region)}: raise it, or give {names.region(region)} a rate of its own."
            )
    if under:
        errors["rate"] = under
    return rows, errors


def _apply(
    session: Session, tasker_id: int, before: _State, regions: list[str], skills: dict[str, int], rows: dict
) -> None:
    """Make the stored state what is asked: region rates first out and last in (they refer to both)."""
    for key, row in before.own.items():
        wanted = rows.get(key)
        if wanted is None:
            session.delete(row)
        else:
            row.rate, row.chosen, row.raised_from, row.raised_at = (
                wanted.rate,
                wanted.chosen,
                wanted.raised_from,
                wanted.raised_at,
            )
            session.add(row)
    session.flush()
    for region, place in before.regions.items():
        if region not in regions:
            session.delete(place)
    for category, skill in before.skills.items():
        if category not in skills:
            session.delete(skill)
    session.flush()
    for region in regions:
        if region not in before.regions:
            session.add(TaskerRegion(tasker_id=tasker_id, region=region))
    for category, rate in skills.items():
        skill = before.skills.get(category) or TaskerSkill(tasker_id=tasker_id, category=category, rate=rate)
        skill.rate = rate
        session.add(skill)
    session.flush()
    for (category, region), wanted in rows.items():
        if (category, region) not in before.own:
            session.add(
                TaskerRegionRate(
                    tasker_id=tasker_id,
                    category=category,
                    region=region,
                    rate=wanted.rate,
                    chosen=wanted.chosen,
                    raised_from=wanted.raised_from,
                    raised_at=wanted.raised_at,
                )
            )
    session.flush()


@dataclass(frozen=True)
class _Snapshot:
    regions: tuple[str, ...]
    skills: dict[str, int]
    own: dict[tuple[str, str], int]

    @classmethod
    def of(cls, state: _State) -> _Snapshot:
        return cls(
            tuple(sorted(state.regions)),
            {c: s.rate for c, s in state.skills.items()},
            {key: row.rate for key, row in state.own.items()},
        )

    def rate_in(self, category: str, region: str) -> int:
        return self.own.get((category, region), self.skills[category])


def _changes(names: _Names, before: _Snapshot, after: _Snapshot, lifted: list[RateChange] | None = None) -> Changes:
    changes = Changes(
        skills_added=sorted(set(after.skills) - set(before.skills)),
        skills_removed=sorted(set(before.skills) - set(after.skills)),
        regions_added=[r for r in after.regions if r not in before.regions],
        regions_removed=[r for r in before.regions if r not in after.regions],
    )
    said = changes.summary
    for region in changes.regions_added:
        said.append(f"Added the region {names.region(region)}.")
    for lift in lifted or []:
        assert lift.region is not None and lift.before is not None and lift.after is not None
        changes.rates.append(lift)
        said.append(
            f"{names.category(lift.category)} in {names.region(lift.region)}: {money(lift.after)}, the floor "
            f"there (your {money(lift.before)} is under it; it comes back down to {money(lift.before)} if the "
            "floor does)."
        )
    for region in changes.regions_removed:
        said.append(f"Removed the region {names.region(region)}.")
    for category in changes.skills_removed:
        changes.rates.append(RateChange(category, None, before.skills[category], None))
        said.append(f"Removed {names.category(category)}.")
    for category in changes.skills_added:
        changes.rates.append(RateChange(category, None, None, after.skills[category]))
        own = sorted((region, rate) for (c, region), rate in after.own.items() if c == category)
        changes.rates += [RateChange(category, region, None, rate) for region, rate in own]
        elsewhere = "".join(f"; in {names.region(region)}, {money(rate)}" for region, rate in own)
        said.append(f"Added {names.category(category)} at {money(after.skills[category])}{elsewhere}.")
    for category in sorted(set(before.skills) & set(after.skills)):
        was, now = before.skills[category], after.skills[category]
        if was != now:
            changes.rates.append(RateChange(category, None, was, now))
            where = " in your regions without a rate of their own" if after.regions else ""
            said.append(f"{names.category(category)}: {money(now)}{where}, was {money(was)}.")
        for region in [r for r in after.regions if r in before.regions]:
            key = (category, region)
            was, now = before.rate_in(category, region), after.rate_in(category, region)
            if was != now and (key in before.own or key in after.own):
                changes.rates.append(RateChange(category, region, was, now))
                said.append(f"{names.category(category)} in {names.region(region)}: {money(now)}, was {money(was)}.")
    if not said:
        said.append("Nothing changed.")
    return changes


def _refuse(errors: dict) -> None:
    if errors:
        raise Invalid("Your skills were not saved." if "skills" in errors else "Check your regions.", errors)


def set_skills(uow: UnitOfWork, tasker_id: int, regions: list[str], skills: list[SkillSpec]) -> Changes:
    """Replace a tasker's regions and skills, and say what that replaced. A rate under the floor of
    a region it applies in is refused with a 422 that names that floor (no tasker undercuts it)."""
    session = uow.session
    names = _Names(session)
    before = _read(session, tasker_id)
    errors = _check_regions(names, regions)
    skill_errors: dict[str, dict] = {}
    seen: set[str] = set()
    rows: dict[tuple[str, str], _Row] = {}
    for i, spec in enumerate(skills):
        if spec.category not in names.categories:
            skill_errors[str(i)] = {"category": [f"Unknown category {spec.category!r}."]}
        elif spec.category in seen:
            skill_errors[str(i)] = {"category": [f"{spec.category} is listed twice."]}
        elif "regions" not in errors:
            planned, problems = _plan(names, spec, regions, before)
            if problems:
                skill_errors[str(i)] = problems
            rows.update({(spec.category, region): row for region, row in planned.items()})
        seen.add(spec.category)
    if skill_errors:
        errors["skills"] = skill_errors
    _refuse(errors)
    was = _Snapshot.of(before)
    _apply(session, tasker_id, before, regions, {s.category: s.rate for s in skills}, rows)
    return _changes(names, was, _Snapshot.of(_read(session, tasker_id)))


def put_skill(uow: UnitOfWork, tasker_id: int, spec: SkillSpec) -> Changes:
    """Add one skill, or change one's rates (its rate, and each region's own: a region left out
    follows the skill's rate), leaving the other skills and the regions as they are."""
    session = uow.session
    names = _Names(session)
    before = _read(session, tasker_id)
    if spec.category not in names.categories:
        raise Invalid("Your skills were not saved.", {"category": [f"Unknown category {spec.category!r}."]})
    regions = sorted(before.regions)
    planned, errors = _plan(names, spec, regions, before)
    if errors:
        raise Invalid("Your skills were not saved.", errors)
    rows = {key: _kept(row) for key, row in before.own.items() if key[0] != spec.category}
    rows.update({(spec.category, region): row for region, row in planned.items()})
    skills = {c: s.rate for c, s in before.skills.items()} | {spec.category: spec.rate}
    was = _Snapshot.of(before)
    _apply(session, tasker_id, before, regions, skills, rows)
    return _changes(names, was, _Snapshot.of(_read(session, tasker_id)))


def remove_skill(uow: UnitOfWork, tasker_id: int, category: str) -> Changes:
    session = uow.session
    names = _Names(session)
    before = _read(session, tasker_id)
    if category not in before.skills:
        raise NotFound(f"{names.category(category)} is not one of your skills.")
    rows = {key: _kept(row) for key, row in before.own.items() if key[0] != category}
    skills = {c: s.rate for c, s in before.skills.items() if c != category}
    was = _Snapshot.of(before)
    _apply(session, tasker_id, before, sorted(before.regions), skills, rows)
    return _changes(names, was, _Snapshot.of(_read(session, tasker_id)))


def set_regions(uow: UnitOfWork, tasker_id: int, regions: list[str]) -> Changes:
    """Set the regions a tasker works in, keeping their skills. In a region added whose floor is
    above a skill's rate, that skill's rate there is the floor, lifted as a floor rise lifts one
    (it comes back down to the skill's rate if the floor does), and the answer says so."""
    session = uow.session
    names = _Names(session)
    before = _read(session, tasker_id)
    _refuse(_check_regions(names, regions))
    rows = {key: _kept(row) for key, row in before.own.items() if key[1] in regions}
    lifted = []
    now = utcnow()
    for region in regions:
        if region in before.regions:
            continue
        for category, skill in before.skills.items():
            floor = names.floor(category, region)
            if floor is not None and skill.rate < floor:
                rows[(category, region)] = _Row(floor, False, skill.rate, now)
                lifted.append(RateChange(category, region, skill.rate, floor, lifted=True))
    was = _Snapshot.of(before)
    skills = {c: s.rate for c, s in before.skills.items()}
    _apply(session, tasker_id, before, list(dict.fromkeys(regions)), skills, rows)
    return _changes(names, was, _Snapshot.of(_read(session, tasker_id)), lifted)


def _kept(row: TaskerRegionRate) -> _Row:
    return _Row(row.rate, row.chosen, row.raised_from, row.raised_at)


def skills_view(session: Session, tasker_id: int) -> dict:
    """A tasker's regions and skills: each skill's rate in every region without its own, the
    highest floor it is held to there, and per region the rate that applies, its floor, whether the
    tasker set it, and any raise a floor rise made to it."""
    st = standing(session, tasker_id)
    names = _Names(session)
    state = _read(session, tasker_id)
    regions = sorted(state.regions)
    skills = []
    for category_slug in sorted(state.skills):
        skill = state.skills[category_slug]
        category = session.get_one(Category, skill.category)  # a skill's category is a foreign key
        rates: list[dict] = []
        for region in regions:
            row = state.own.get((skill.category, region))
            rates.append(
                {
                    "region": region,
                    "rate": row.rate if row else skill.rate,
                    "floor": names.floor(skill.category, region),
                    "chosen": row is not None and row.chosen,
                    "raised_from": row.raised_from if row else None,
                    "raised_at": row.raised_at if row else None,
                }
            )
        following = [
            r["floor"] for r in rates if (skill.category, r["region"]) not in state.own and r["floor"] is not None
        ]
        skills.append(
            {
                "category": skill.category,
                "rate": skill.rate,
                "level": category.level,
                "unlocked": st.may_work(category),
                "floor": max(following, default=None),
                "rates": rates,
            }
        )
    return {
        "regions": regions,
        "skills": skills,
        "skilled_unlocked": st.skilled,
        "mentored": sorted(st.mentored),
        "licensed": sorted(st.licensed),
    }
