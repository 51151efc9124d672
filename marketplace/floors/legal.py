"""Legal minimums, versioned like floors: each region's statutory pay minimum with the date it
takes effect. Laws change their figures every year, so a check of past pay reads the minimum in
force at the time, and a new floor must respect the minimum in force when it takes effect and every
one already scheduled after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from marketplace.clock import to_utc, utcnow
from marketplace.db import UnitOfWork
from marketplace.errors import Invalid, NotFound
from marketplace.floors.models import FloorRuleVersion, LegalMinimumVersion, Region
from pricing import FloorRule, LegalMinimum, validate_rule
from pricing.rules import MAX_FLOOR_CENTS

MAX_AHEAD = timedelta(days=730)


def to_minimum(row: LegalMinimumVersion) -> LegalMinimum:
    return LegalMinimum(per_hour=row.per_hour, per_minute=row.per_minute, per_task=row.per_task, source=row.source)


def history(session: Session, region: str) -> list[LegalMinimumVersion]:
    """A region's legal minimums, oldest first."""
    query = select(LegalMinimumVersion).where(col(LegalMinimumVersion.region) == region)
    return list(session.exec(query.order_by(col(LegalMinimumVersion.effective_from))))


def all_histories(session: Session) -> dict[str, list[LegalMinimumVersion]]:
    found: dict[str, list[LegalMinimumVersion]] = {}
    for row in session.exec(select(LegalMinimumVersion).order_by(col(LegalMinimumVersion.effective_from))):
        found.setdefault(row.region, []).append(row)
    return found


def in_force(rows: list[LegalMinimumVersion], at: datetime) -> LegalMinimumVersion | None:
    """The version in force at `at` among `rows` (oldest first), or None before the first."""
    current = None
    for row in rows:
        if row.effective_from <= at:
            current = row
        else:
            break
    return current


def minimum_at(session: Session, region: str, at: datetime) -> LegalMinimum | None:
    row = in_force(history(session, region), at)
    return to_minimum(row) if row is not None else None


def binding_from(session: Session, region: str, at: datetime) -> list[LegalMinimum]:
    """The minimums a floor taking effect at `at` must respect: the one in force then, and every
    one scheduled after it (a floor stays in force until it is changed)."""
    rows = history(session, region)
    current = in_force(rows, at)
    return [to_minimum(r) for r in rows if r is current or r.effective_from > at]


def validate_against(rule: FloorRule, minimums: list[LegalMinimum]) -> None:
    """The rule's own bounds, and each of `minimums` (FloorRuleError names what is broken)."""
    if not minimums:
        validate_rule(rule)
    for minimum in minimums:
        validate_rule(rule, minimum)


@dataclass(frozen=True)
class MinimumChange:
    region: str
    effective_from: datetime | None
    per_hour: int | None = None
    per_minute: int | None = None
    per_task: int | None = None
    source: str = ""


def set_minimum(uow: UnitOfWork, change: MinimumChange, author: str) -> tuple[LegalMinimumVersion, list[str]]:
    """Record a new legal minimum. Returns it and the floors that would pay under it from its
    date (they are not changed: an operator raises them, each with its reason)."""
    session = uow.session
    region = session.get(Region, change.region)
    if region is None:
        raise NotFound(f"No region {change.region!r}.")
    errors: dict[str, list[str]] = {}
    now = utcnow()
    effective = to_utc(change.effective_from) if change.effective_from is not None else None
    if effective is None:
        errors["effective_from"] = ["Give the date the minimum takes effect, with a zone (e.g. 2027-01-01T00:00:00Z)."]
    elif not datetime(2000, 1, 1, tzinfo=effective.tzinfo) <= effective <= now + MAX_AHEAD:
        errors["effective_from"] = [f"Between the year 2000 and {MAX_AHEAD.days} days from now."]
    for name in ("per_hour", "per_minute", "per_task"):
        value = getattr(change, name)
        if value is not None and not (isinstance(value, int) and 0 < value <= MAX_FLOOR_CENTS):
            errors[name] = [f"Cents, from 1 to {MAX_FLOOR_CENTS}."]
    if change.per_hour is None and change.per_minute is None and change.per_task is None:
        errors["per_hour"] = ["Give at least one of per hour, per minute or per task."]
    if not change.source.strip() or len(change.source) > 300:
        errors["source"] = ["Name the law and where its figures are published (1 to 300 characters)."]
    if errors or effective is None:
        raise Invalid("The legal minimum was not recorded.", errors)
    clash = session.exec(
        select(LegalMinimumVersion).where(
            col(LegalMinimumVersion.region) == change.region, col(LegalMinimumVersion.effective_from) == effective
        )
    ).first()
    if clash is not None:
        raise Invalid(
            "The legal minimum was not recorded.",
            {"effective_from": [f"{change.region} already has a minimum from {effective:%Y-%m-%d %H:%M} UTC."]},
        )
    row = LegalMinimumVersion(
        region=change.region,
        effective_from=effective,
        per_hour=change.per_hour,
        per_minute=change.per_minute,
        per_task=change.per_task,
        source=change.source.strip(),
        author=author,
    )
    session.add(row)
    session.flush()
    return row, floors_under(session, change.region, to_minimum(row), effective)


def floors_under(session: Session, region: str, minimum: LegalMinimum, at: datetime) -> list[str]:
    """The categories whose floor in force at `at` (or scheduled after it) is under `minimum`."""
    rows = session.exec(select(FloorRuleVersion).where(col(FloorRuleVersion.region) == region))
    by_category: dict[str, list[FloorRuleVersion]] = {}
    for r in rows:
        by_category.setdefault(r.category, []).append(r)
    under = []
    for category, versions in sorted(by_category.items()):
        versions.sort(key=lambda r: (r.effective_from, r.version))
        current = [r for r in versions if r.effective_from <= at][-1:]
        for r in current + [r for r in versions if r.effective_from > at]:
            if r.hourly_floor < minimum.hourly_equivalent or (minimum.per_task and r.per_task_floor < minimum.per_task):
                under.append(f"{category} (v{r.version})")
                break
    return under


def required_pay(
    minutes: int, per_minute: int | None, per_hour: int | None, per_task: int | None
) -> list[tuple[str, int]]:
    """What each part of a minimum asks for a task of `minutes` worked, in whole cents rounded up
    (a fraction of a cent owed is still owed)."""
    rules = []
    if per_minute:
        rules.append(("per minute", per_minute * minutes))
    if per_hour:
        rules.append(("per hour", -(-per_hour * minutes // 60)))
    if per_task:
        rules.append(("per task", per_task))
    return rules
