"""The audit history of floors: who changed which field, from what to what, when and why."""

from __future__ import annotations

from sqlmodel import Session, col, select

from marketplace.floors.models import FloorRuleVersion
from marketplace.floors.versions import (
    RULE_FIELDS,
)


def floor_history(
    session: Session, category: str | None = None, region: str | None = None, limit: int = 500
) -> list[dict]:
    """Every version, newest first, with what it changed from the version before it."""
    query = select(FloorRuleVersion)
    if category:
        query = query.where(col(FloorRuleVersion.category) == category)
    if region:
        query = query.where(col(FloorRuleVersion.region) == region)
    rows = list(
        session.exec(
            query.order_by(col(FloorRuleVersion.category), col(FloorRuleVersion.region), col(FloorRuleVersion.version))
        )
    )
    previous: dict[tuple[str, str], FloorRuleVersion] = {}
    entries = []
    for row in rows:
        before = previous.get((row.category, row.region))
        changes = {
            name: {"old": getattr(before, name) if before else None, "new": getattr(row, name)}
            for name in RULE_FIELDS
            if before is None or getattr(before, name) != getattr(row, name)
        }
        entries.append(
            {
                "category": row.category,
                "region": row.region,
                "version": row.version,
                "author": row.author,
                "reason": row.reason,
                "summary": row.summary,
                "created_at": row.created_at,
                "effective_from": row.effective_from,
                "changes": changes,
            }
        )
        previous[(row.category, row.region)] = row
    entries.sort(key=lambda e: (e["created_at"], e["version"]), reverse=True)
    return entries[:limit]
