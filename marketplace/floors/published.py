"""What everyone may read about floors: the rule in force for each category and region, the changes
scheduled after it, and the history, each with its public summary. Authors and the internal
reasons are left out here; operators read them through `versions` and `history`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from marketplace.clock import utcnow
from marketplace.floors.legal import all_histories
from marketplace.floors.legal import in_force as legal_in_force
from marketplace.floors.models import Category, FloorRuleVersion, LegalMinimumVersion, Region
from marketplace.floors.versions import RULE_FIELDS

PUBLIC_FIELDS = ("category", "region", "version", *RULE_FIELDS, "effective_from", "summary")


def public_version(row: FloorRuleVersion) -> dict[str, Any]:
    return {name: getattr(row, name) for name in PUBLIC_FIELDS}


def _legal(row: LegalMinimumVersion | None) -> dict[str, Any]:
    if row is None:
        return {"per_hour": None, "per_minute": None, "per_task": None, "source": "", "effective_from": None}
    return {
        "per_hour": row.per_hour,
        "per_minute": row.per_minute,
        "per_task": row.per_task,
        "source": row.source,
        "effective_from": row.effective_from,
    }


def published_floors(session: Session, region: str | None = None, at: datetime | None = None) -> list[dict[str, Any]]:
    """For every (category, region), in region then category order: the version in force at `at`
    (now), with the category's name and the versions scheduled after it, soonest first."""
    at = at or utcnow()
    query = select(FloorRuleVersion).order_by(
        col(FloorRuleVersion.region), col(FloorRuleVersion.category), col(FloorRuleVersion.version)
    )
    if region is not None:
        query = query.where(col(FloorRuleVersion.region) == region)
    names = {c.slug: c.name for c in session.exec(select(Category))}
    regions = {r.slug: r for r in session.exec(select(Region))}
    legal = all_histories(session)
    by_key: dict[tuple[str, str], list[FloorRuleVersion]] = {}
    for row in session.exec(query):
        by_key.setdefault((row.region, row.category), []).append(row)
    floors = []
    for (region_slug, category), rows in by_key.items():
        in_force = [r for r in rows if r.effective_from <= at]
        if not in_force:
            continue
        current = max(in_force, key=lambda r: (r.effective_from, r.version))
        later = sorted((r for r in rows if r.effective_from > at), key=lambda r: (r.effective_from, r.version))
        place = regions[region_slug]
        floors.append(
            {
                **public_version(current),
                "category_name": names.get(category, category),
                "region_name": place.name,
                "currency": place.currency,
                "timezone": place.timezone,
                "legal_minimum": _legal(legal_in_force(legal.get(region_slug, []), at)),
                "scheduled": [public_version(r) for r in later],
            }
        )
    return floors


def floor_version(session: Session, category: str, region: str, version: int) -> FloorRuleVersion | None:
    """The version a quote was priced with (its `rule_version`), for "in force since"."""
    return floor_versions(session, {(category, region, version)}).get((category, region, version))


def floor_timeline(session: Session, region: str) -> dict[str, list[tuple[datetime, int]]]:
    """Each category's hourly floor over time in a region, scheduled changes included: the steps
    in the order they take effect (the later version wins a tie, as in pricing)."""
    rows = session.exec(select(FloorRuleVersion).where(col(FloorRuleVersion.region) == region))
    steps: dict[str, list[FloorRuleVersion]] = {}
    for row in rows:
        steps.setdefault(row.category, []).append(row)
    return {
        category: [
            (r.effective_from, r.hourly_floor) for r in sorted(versions, key=lambda r: (r.effective_from, r.version))
        ]
        for category, versions in sorted(steps.items())
    }


def floor_versions(session: Session, keys: set[tuple[str, str, int]]) -> dict[tuple[str, str, int], FloorRuleVersion]:
    """The versions for (category, region, version) keys, in one query (a page of tasks' quotes)."""
    if not keys:
        return {}
    rows = session.exec(
        select(FloorRuleVersion).where(
            col(FloorRuleVersion.category).in_({k[0] for k in keys}),
            col(FloorRuleVersion.region).in_({k[1] for k in keys}),
        )
    )
    return {(r.category, r.region, r.version): r for r in rows if (r.category, r.region, r.version) in keys}
