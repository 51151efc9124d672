"""What operators do with floors beyond setting one: read the audit history, simulate a change
on past postings, and move floors in and out as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, select

from events.sqltypes import utcnow
from marketplace.floors import (
    RULE_FIELDS,
    FloorChange,
    all_versions,
    changes_nothing,
    legal_minimum,
    rules_in_force,
    set_floor,
)
from marketplace.models import Category, FloorRuleVersion, Region, Task
from pricing import FloorRuleError, validate_rule
from pricing.rules import FloorRule, rule_in_force
from pricing.simulate import Posting, Simulation, simulate

CSV_COLUMNS = ("category", "region", *RULE_FIELDS, "effective_from", "reason")


def floor_history(
    session: Session, category: str | None = None, region: str | None = None, limit: int = 500
) -> list[dict]:
    """Every version, newest first, with what it changed from the version before it."""
    query = select(FloorRuleVersion)
    if category:
        query = query.where(FloorRuleVersion.category == category)
    if region:
        query = query.where(FloorRuleVersion.region == region)
    rows = list(
        session.exec(query.order_by(FloorRuleVersion.category, FloorRuleVersion.region, FloorRuleVersion.version))
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
                "created_at": row.created_at,
                "effective_from": row.effective_from,
                "changes": changes,
            }
        )
        previous[(row.category, row.region)] = row
    entries.sort(key=lambda e: (e["created_at"], e["version"]), reverse=True)
    return entries[:limit]


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
    """Replay the postings of the last `days` days: the rules they were priced with against the
    same rules with the proposals applied. Raises FloorRuleError for a proposal that could never
    be published (unknown names, a floor under a legal minimum...)."""
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
    # Refuse a proposal that could never be published, whether or not a posting would reach it.
    for p in proposals:
        for (category, region), rules in versions.items():
            if p.covers(category, region):
                validate_rule(replace(rules[-1], **p.values), legal_minimum(regions[region]))
    checked: dict[tuple[str, str, int], FloorRule] = {}

    def old(category: str, region: str, at: datetime) -> FloorRule | None:
        return rule_in_force(versions.get((category, region), []), at)

    def new(category: str, region: str, at: datetime) -> FloorRule | None:
        rule = old(category, region, at)
        if rule is None:
            return None
        for p in proposals:
            if p.covers(category, region):
                cache_key = (category, region, rule.version)
                if cache_key not in checked:
                    proposed = replace(rule, **p.values)
                    validate_rule(proposed, legal_minimum(regions[region]))
                    checked[cache_key] = proposed
                return checked[cache_key]
        return rule

    tasks = session.exec(select(Task).where(Task.posted_at >= now - timedelta(days=days)).order_by(Task.posted_at))
    postings = (Posting(t.category, t.region, t.estimated_minutes, t.offered_rate, t.posted_at) for t in tasks)
    return simulate(postings, old, new, progress)


def export_csv(session: Session, at: datetime | None = None) -> str:
    """The rules in force at `at` (now), one row per category and region, ready to edit and import.

    effective_from and reason are left blank: a re-import applies now unless a time is filled in,
    and each change needs its own reason (the originals stay in the history).
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for (category, region), rule in sorted(rules_in_force(session, at).items()):
        writer.writerow(
            {
                "category": category,
                "region": region,
                "reason": "",
                "effective_from": "",
                **{name: getattr(rule, name) for name in RULE_FIELDS},
            }
        )
    return out.getvalue()


class CsvImportError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def parse_floor_csv(text: str, default_reason: str | None = None, confirmed: bool = False) -> list[FloorChange]:
    """Rows to FloorChanges. Blank cells keep the current value; effective_from blank means now."""
    try:
        return _parse_rows(csv.DictReader(io.StringIO(text)), default_reason, confirmed)
    except csv.Error as exc:
        raise CsvImportError([f"not a readable CSV: {exc}"]) from None


def _parse_rows(reader: csv.DictReader, default_reason: str | None, confirmed: bool) -> list[FloorChange]:
    missing = {"category", "region"} - set(reader.fieldnames or [])
    if missing:
        raise CsvImportError([f"header: missing column(s) {', '.join(sorted(missing))}"])
    unknown = set(reader.fieldnames or []) - set(CSV_COLUMNS)
    if unknown:
        raise CsvImportError([f"header: unknown column(s) {', '.join(sorted(unknown))}"])
    changes, errors = [], []
    for line, row in enumerate(reader, start=2):
        values = {}
        for name in RULE_FIELDS:
            cell = (row.get(name) or "").strip()
            if cell:
                try:
                    values[name] = int(cell)
                except ValueError:
                    errors.append(f"line {line}: {name} must be a whole number, not {cell!r}")
        when = (row.get("effective_from") or "").strip()
        effective_from = None
        if when:
            try:
                effective_from = datetime.fromisoformat(when)
            except ValueError:
                errors.append(f"line {line}: effective_from {when!r} is not an ISO 8601 time")
        reason = (row.get("reason") or "").strip() or default_reason or ""
        changes.append(
            FloorChange(
                (row.get("category") or "").strip(),
                (row.get("region") or "").strip(),
                reason,
                values,
                effective_from,
                confirmed,
            )
        )
    if errors:
        raise CsvImportError(errors)
    return changes


def import_floors(
    uow, changes: list[FloorChange], author_id: int | None, author: str, progress=None
) -> tuple[list[FloorRuleVersion], int]:
    """All or nothing: every row is validated and applied in one transaction (the caller commits).
    A row that restates the current values makes no version. Returns (versions made, rows unchanged)."""
    created, errors, unchanged = [], [], 0
    for line, change in enumerate(changes, start=2):
        try:
            if changes_nothing(uow.session, change):
                unchanged += 1
            else:
                created.append(set_floor(uow, change, author_id, author))
        except FloorRuleError as exc:
            errors.extend(
                f"line {line} ({change.category}/{change.region}): {field}: {' '.join(msgs)}"
                for field, msgs in exc.errors.items()
            )
        if progress:
            progress()
    if errors:
        raise CsvImportError(errors)
    return created, unchanged
