"""Simulating proposed floors on the postings of the last days, before anyone applies them: it reads
the market (the tasks posted) and the floors, so it lives with the market, above both."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from marketplace.clock import utcnow
from marketplace.floors.legal import binding_from, validate_against
from marketplace.floors.models import Category, Region
from marketplace.floors.versions import (
    RULE_FIELDS,
    all_versions,
)
from marketplace.tasks.models import Task
from pricing import FloorRuleError
from pricing.rules import FloorRule, rule_in_force
from pricing.simulate import Posting, Simulation, simulate


@dataclass(frozen=True)
class ProposedFloor:
    """A change to simulate. region or category None means every one."""

    values: dict
    category: str | None = None
    region: str | None = None

    def covers(self, category: str, region: str) -> bool:
        return self.category in (None, category) and self.region in (None, region)


def simulate_proposals(
    session: Session, proposals: list[ProposedFloor], days: int, now: datetime | None = None, progress=None
) -> Simulation:
    """Replay the postings of the last `days` days that a proposal reaches (its category in its
    region; every posting when one proposal names neither): the floor in force now against the same
    floor with the proposals applied. (Comparing with the rule each posting was priced with would
    count earlier floor changes as the proposal's effect.) Raises FloorRuleError for a proposal that
    could never be published (unknown names, a floor under a legal minimum...)."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    if not 1 <= days <= 366:
        errors["days"] = ["Must be between 1 and 366."]
    regions = {r.slug: r for r in session.exec(select(Region))}
    categories = set(session.exec(select(Category.slug)))
    for p in proposals:
        if p.category is not None and p.category not in categories:
            errors.setdefault("category", []).append(f"Unknown category {p.category!r}.")
        if p.region is not None and p.region not in regions:
            errors.setdefault("region", []).append(f"Unknown region {p.region!r}.")
        for name in set(p.values) - set(RULE_FIELDS):
            errors.setdefault(name, []).append("Not a floor rule field.")
    if not proposals:
        errors["changes"] = ["Propose at least one change."]
    if errors:
        raise FloorRuleError(errors)

    versions = all_versions(session)
    binding = {slug: binding_from(session, slug, now) for slug in regions}

    def check(rule: FloorRule, region: str) -> None:
        validate_against(rule, binding[region])

    # Refuse a proposal that could never be published, whether or not a posting would reach it.
    for p in proposals:
        for (category, region), rules in versions.items():
            if p.covers(category, region):
                check(replace(rules[-1], **p.values), region)
    checked: dict[tuple[str, str, int], FloorRule] = {}

    def old(category: str, region: str, at: datetime) -> FloorRule | None:
        return rule_in_force(versions.get((category, region), []), now)

    def new(category: str, region: str, at: datetime) -> FloorRule | None:
        rule = old(category, region, at)
        if rule is None:
            return None
        for p in proposals:
            if p.covers(category, region):
                cache_key = (category, region, rule.version)
                if cache_key not in checked:
                    proposed = replace(rule, **p.values)
                    check(proposed, region)
                    checked[cache_key] = proposed
                return checked[cache_key]
        return rule

    query = select(Task).where(col(Task.posted_at) >= now - timedelta(days=days))
    if all(p.category is not None or p.region is not None for p in proposals):
        # Only the postings a proposal reaches: a change to one category in one region is judged on
        # that category's postings there, never diluted (or padded) with the rest of the market.
        query = query.where(or_(*(_reached(p) for p in proposals)))
    tasks = session.exec(query.order_by(col(Task.posted_at)))
    postings = (Posting(t.category, t.region, t.estimated_minutes, t.offered_rate, t.posted_at) for t in tasks)
    return simulate(postings, old, new, progress)


def _reached(p: ProposedFloor):
    """The SQL condition for the postings `p` applies to (at least one of its two is set)."""
    conditions = []
    if p.category is not None:
        conditions.append(col(Task.category) == p.category)
    if p.region is not None:
        conditions.append(col(Task.region) == p.region)
    return and_(*conditions)
