"""Setting floors: each change is a new version of the rule for a category and region, checked
(bounds, legal minimums, the 3x confirm) before it is stored.

The database keeps every version (the audit history). Each change is also published on the
compacted `pricing.floors` topic, keyed by category/region and carrying every version of that
key, which is what the pricing stage rebuilds its table from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from events.envelope import CloudEvent
from events.payloads import FloorsChanged
from marketplace.clock import to_utc, utcnow
from marketplace.db import UnitOfWork
from marketplace.floors.legal import binding_from, validate_against
from marketplace.floors.limits import SANITY_FACTOR
from marketplace.floors.models import Category, FloorRuleVersion, Region
from marketplace.floors.zones import label as clock_label
from marketplace.floors.zones import zone_of
from pricing import FloorRule, FloorRuleError
from pricing.money import format_cents
from pricing.rules import MONEY_FIELDS, rule_in_force

log = logging.getLogger(__name__)

MAX_SCHEDULE_AHEAD = timedelta(days=5 * 365)

# The figures an operator sets: the engine's FloorRule less what names, dates and explains a version.
RULE_FIELDS = tuple(
    f.name
    for f in dc_fields(FloorRule)
    if f.name not in ("category", "region", "effective_from", "version", "author", "reason")
)

DEFAULTS = {f.name: f.default for f in dc_fields(FloorRule) if f.name in RULE_FIELDS}


def floor_key(category: str, region: str) -> str:
    return f"{category}/{region}"


def to_rule(row: FloorRuleVersion) -> FloorRule:
    return FloorRule(
        category=row.category,
        region=row.region,
        version=row.version,
        effective_from=row.effective_from,
        author=row.author,
        reason=row.reason,
        **{name: getattr(row, name) for name in RULE_FIELDS},
    )


def versions_of(session: Session, category: str, region: str) -> list[FloorRuleVersion]:
    return list(
        session.exec(
            select(FloorRuleVersion)
            .where(
                col(FloorRuleVersion.category) == category,
                col(FloorRuleVersion.region) == region,
            )
            .order_by(col(FloorRuleVersion.version))
        )
    )


def current_rule(session: Session, category: str, region: str, at: datetime | None = None) -> FloorRule | None:
    return rule_in_force([to_rule(v) for v in versions_of(session, category, region)], at or utcnow())


def all_versions(session: Session) -> dict[tuple[str, str], list[FloorRule]]:
    """Every version of every (category, region), in one query."""
    versions: dict[tuple[str, str], list[FloorRule]] = {}
    for row in session.exec(select(FloorRuleVersion).order_by(col(FloorRuleVersion.version))):
        versions.setdefault((row.category, row.region), []).append(to_rule(row))
    return versions


def rules_in_force(session: Session, at: datetime | None = None) -> dict[tuple[str, str], FloorRule]:
    """The rule in force at `at` (now) for every (category, region) that has one."""
    at = at or utcnow()
    in_force = {key: rule_in_force(rules, at) for key, rules in all_versions(session).items()}
    return {key: rule for key, rule in in_force.items() if rule is not None}


def scheduled_changes(session: Session, at: datetime | None = None) -> dict[tuple[str, str], list[FloorRule]]:
    """Versions not yet in force at `at` (now), soonest first, for every (category, region)."""
    at = at or utcnow()
    return {
        key: sorted(
            (r for r in rules if r.effective_from and r.effective_from > at),
            key=lambda r: (r.effective_from, r.version),
        )
        for key, rules in all_versions(session).items()
        if any(r.effective_from and r.effective_from > at for r in rules)
    }


def floors_changed_event(category: str, region: str, versions: list[FloorRuleVersion]) -> CloudEvent:
    return FloorsChanged(
        category=category,
        region=region,
        versions=[
            {
                "version": v.version,
                "effective_from": v.effective_from,
                "author": v.author,
                "reason": v.reason,
                **{name: getattr(v, name) for name in RULE_FIELDS},
            }
            for v in versions
        ],
    ).event(subject=floor_key(category, region))


@dataclass(frozen=True)
class FloorChange:
    category: str
    region: str
    reason: str
    values: dict  # any of RULE_FIELDS; missing ones carry over from the current version
    effective_from: datetime | None = None
    confirmed: bool = False  # the operator confirmed a change beyond the sanity bound
    summary: str = ""  # the public line; written from the change when left empty


def changes_nothing(session: Session, change: FloorChange) -> bool:
    """True when the change restates the latest version's values: it would be a version with no change."""
    previous = versions_of(session, change.category, change.region)
    if not previous:
        return False
    latest = previous[-1]
    return all(change.values.get(name, getattr(latest, name)) == getattr(latest, name) for name in RULE_FIELDS) and set(
        change.values
    ) <= set(RULE_FIELDS)


def _check_sanity(current: FloorRule, proposed: FloorRule) -> None:
    """A floor that jumps past SANITY_FACTOR times the current one, or falls under a SANITY_FACTOR-th
    of it, is much more often a typo (an extra zero, a lost one) than a decision; it goes through
    only when the operator confirms it. A cut is the graver typo: it lowers every tasker's pay."""
    errors = {}
    confirm = "If you mean it, confirm the change (confirm: true, or --confirm on the command line)."
    for name in MONEY_FIELDS:
        old, new = getattr(current, name), getattr(proposed, name)
        if old > 0 and new > SANITY_FACTOR * old:
            errors[name] = [f"{new} is more than {SANITY_FACTOR}x the current {old}. {confirm}"]
        elif old > 0 and new * SANITY_FACTOR < old:
            errors[name] = [f"{new} is under a third of the current {old} (a cut past {SANITY_FACTOR}x). {confirm}"]
    if errors:
        raise FloorRuleError(errors)


def set_floor(uow: UnitOfWork, change: FloorChange, author_id: int | None, author: str) -> FloorRuleVersion:
    """Add a new version of a (category, region) rule. Raises FloorRuleError with field errors."""
    session = uow.session
    now = utcnow()
    errors: dict[str, list[str]] = {}
    category = session.get(Category, change.category)
    region = session.get(Region, change.region)
    if category is None:
        errors["category"] = [f"Unknown category {change.category!r}."]
    if region is None:
        errors["region"] = [f"Unknown region {change.region!r}."]
    if not change.reason or not change.reason.strip():
        errors["reason"] = ["A reason is required for every floor change."]
    effective_from = to_utc(change.effective_from) if change.effective_from is not None else now
    if effective_from is None:
        errors["effective_from"] = [
            "Give a time with a zone, between the years 2000 and 2100 (e.g. 2026-12-01T09:00:00Z)."
        ]
    elif change.effective_from is not None and effective_from < now:
        errors["effective_from"] = ["A change cannot take effect in the past; omit it to apply now."]
    elif effective_from > now + MAX_SCHEDULE_AHEAD:
        errors["effective_from"] = [f"Schedule at most {MAX_SCHEDULE_AHEAD.days} days ahead."]
    unknown = set(change.values) - set(RULE_FIELDS)
    for name in unknown:
        errors[name] = ["Not a floor rule field."]
    if errors or effective_from is None or region is None:
        raise FloorRuleError(errors)

    previous = versions_of(session, change.category, change.region)
    base = to_rule(previous[-1]) if previous else None
    values = {name: change.values.get(name, getattr(base, name) if base else DEFAULTS[name]) for name in RULE_FIELDS}
    if "hourly_floor" not in change.values and base is None:
        raise FloorRuleError({"hourly_floor": ["Required for a category and region with no floor yet."]})
    candidate = FloorRule(category=change.category, region=change.region, **values)
    validate_against(candidate, binding_from(session, change.region, effective_from))
    if base is not None and not change.confirmed:
        _check_sanity(base, candidate)

    # Lock the region so two concurrent changes cannot both become version N+1 (the unique
    # constraint would refuse the second anyway; the lock makes it wait instead of fail).
    session.exec(select(Region).where(col(Region.slug) == change.region).with_for_update()).one()
    next_version = (
        session.exec(
            select(func.max(col(FloorRuleVersion.version))).where(
                col(FloorRuleVersion.category) == change.category,
                col(FloorRuleVersion.region) == change.region,
            )
        ).one()
        or 0
    ) + 1
    named = session.get(Category, change.category)
    summary = change.summary.strip() or public_summary(
        named.name if named else change.category, region, base, candidate, effective_from
    )
    row = FloorRuleVersion(
        category=change.category,
        region=change.region,
        version=next_version,
        effective_from=effective_from,
        author_id=author_id,
        author=author,
        reason=change.reason.strip(),
        summary=summary[:200],
        created_at=now,
        **values,
    )
    session.add(row)
    session.flush()
    uow.emit(
        floors_changed_event(change.category, change.region, previous + [row]),
        key=floor_key(change.category, change.region),
    )
    return row


FIELD_LABELS = {
    "hourly_floor": "hourly floor",
    "per_task_floor": "per-task floor",
    "min_billable_minutes": "minimum billable time",
    "billing_increment_minutes": "billing increment",
    "service_fee_bps": "service fee",
    "trust_fee_bps": "trust fee",
    "tasker_commission_bps": "tasker commission",
}


def shown_value(name: str, value: int | None, currency: str = "USD") -> str:
    """A rule field's value as people read it (money with its currency, fees in percent)."""
    return "—" if value is None else _shown(name, value, currency)


def _shown(name: str, value: int, currency: str) -> str:
    if name in ("hourly_floor", "per_task_floor"):
        return format_cents(value, currency) + ("/h" if name == "hourly_floor" else "")
    if name.endswith("_bps"):
        return f"{value / 100:g}%"
    return f"{value} min"


def public_summary(category: str, region: Region, before: FloorRule | None, after: FloorRule, start: datetime) -> str:
    """A line anyone may read: "Yard work in New York City: hourly floor 24.00 → 26.00 USD/h from
    2027-01-01". `category` is the category's name (its slug when it has none)."""
    currency = region.currency.upper()
    if before is None:
        what = f"first floor, {_shown('hourly_floor', after.hourly_floor, currency)}"
    else:
        what = ", ".join(
            f"{label} {_shown(name, getattr(before, name), currency)} → {_shown(name, getattr(after, name), currency)}"
            for name, label in FIELD_LABELS.items()
            if getattr(before, name) != getattr(after, name)
        )
    return f"{category} in {region.name}: {what or 'no change'} from {start:%Y-%m-%d}"


def change_sentence(session: Session, row: FloorRuleVersion, now: datetime | None = None) -> str:
    """What an operator is told after a change, with the category's and region's names: a
    scheduled version "will take effect on" its date; one in force now "is now" the floor."""
    category = session.get(Category, row.category)
    region = session.get(Region, row.region)
    where = f"{category.name if category else row.category} in {region.name if region else row.region}"
    effective = to_utc(row.effective_from) or row.effective_from
    when = clock_label(effective, zone_of(session, row.region))  # on the region's clock, the zone named
    if effective > (now or utcnow()):
        return f"{where}: version {row.version} will take effect on {when}."
    return f"{where}: version {row.version} is now the floor, in force since {when}."
