"""Floor rules and the regional legal minimums no floor may go below."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_BPS = 10_000
MAX_FLOOR_CENTS = 100_000_000  # $1,000,000: the largest money figure a rule may carry
MAX_RULE_MINUTES = 24 * 60


class FloorRuleError(ValueError):
    """A proposed rule breaks a constraint. `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class LegalMinimum:
    """A region's statutory pay floor, e.g. Seattle's PayUp or NYC's delivery-worker minimum."""

    per_hour: int | None = None  # cents an hour
    per_minute: int | None = None  # cents a minute of engaged time
    per_task: int | None = None  # cents an offer
    source: str = ""

    @property
    def hourly_equivalent(self) -> int:
        return max(self.per_hour or 0, (self.per_minute or 0) * 60)


@dataclass(frozen=True)
class FloorRule:
    category: str
    region: str
    hourly_floor: int
    per_task_floor: int = 0
    min_billable_minutes: int = 60
    billing_increment_minutes: int = 15
    service_fee_bps: int = 0
    trust_fee_bps: int = 0
    tasker_commission_bps: int = 0
    effective_from: datetime | None = None
    version: int = 0
    author: str = ""
    reason: str = ""


MONEY_FIELDS = ("hourly_floor", "per_task_floor")
BPS_FIELDS = ("service_fee_bps", "trust_fee_bps", "tasker_commission_bps")


def validate_rule(rule: FloorRule, legal: LegalMinimum | None = None) -> None:
    """Raise FloorRuleError with every broken constraint named by field."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in MONEY_FIELDS + BPS_FIELDS + ("min_billable_minutes", "billing_increment_minutes"):
        value = getattr(rule, name)
        if not isinstance(value, int) or isinstance(value, bool):
            add(name, "Must be a whole number.")
        elif value < 0:
            add(name, "Must not be negative.")
    if errors:
        raise FloorRuleError(errors)
    for name in MONEY_FIELDS:
        if getattr(rule, name) > MAX_FLOOR_CENTS:
            add(name, f"Must be at most {MAX_FLOOR_CENTS} cents.")
    if rule.billing_increment_minutes > MAX_RULE_MINUTES:
        add("billing_increment_minutes", f"Must be at most {MAX_RULE_MINUTES} minutes (one day).")
    if rule.hourly_floor == 0 and rule.per_task_floor == 0:
        add("hourly_floor", "A floor of zero pays nothing; set an hourly or a per-task floor.")
    if rule.billing_increment_minutes < 1:
        add("billing_increment_minutes", "Must be at least 1 minute.")
    if rule.min_billable_minutes > 24 * 60:
        add("min_billable_minutes", "Must be at most 1440 minutes (one day).")
    for name in BPS_FIELDS:
        if getattr(rule, name) > MAX_BPS:
            add(name, f"Must be at most {MAX_BPS} basis points (100%).")
    if legal is not None:
        hourly_min = legal.hourly_equivalent
        if rule.hourly_floor < hourly_min:
            add(
                "hourly_floor",
                f"Below the region's legal minimum of {hourly_min} cents an hour"
                f"{' (' + legal.source + ')' if legal.source else ''}.",
            )
        if legal.per_task and rule.per_task_floor < legal.per_task:
            add(
                "per_task_floor",
                f"Below the region's legal minimum of {legal.per_task} cents a task"
                f"{' (' + legal.source + ')' if legal.source else ''}.",
            )
    if errors:
        raise FloorRuleError(errors)


def rule_in_force(versions: list[FloorRule], at: datetime) -> FloorRule | None:
    """The version in force at `at`: the latest effective_from not after it (ties: higher version)."""
    candidates = [r for r in versions if r.effective_from is None or r.effective_from <= at]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.effective_from or datetime.min, r.version))
