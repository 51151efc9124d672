"""What-if simulation: replay past postings through the engine under the rules they were priced
with and under a proposed set of rules, and sum up what would change, per category."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pricing.quote import QuoteError, quote
from pricing.rules import FloorRule


@dataclass(frozen=True)
class Posting:
    category: str
    region: str
    estimated_minutes: int
    offered_rate: int | None
    posted_at: datetime


@dataclass
class CategoryImpact:
    category: str
    postings: int = 0  # postings of this category replayed
    affected: int = 0  # whose client price or payout would change
    client_delta_total: int = 0  # cents, new minus old, summed
    payout_delta_total: int = 0
    old_client_total: int = 0
    new_client_total: int = 0
    unpriceable: int = 0  # postings that fail under the proposal (e.g. estimate out of bounds)

    @property
    def client_delta_avg(self) -> int:
        return round(self.client_delta_total / self.postings) if self.postings else 0

    @property
    def payout_delta_avg(self) -> int:
        return round(self.payout_delta_total / self.postings) if self.postings else 0


@dataclass
class Simulation:
    impacts: dict[str, CategoryImpact] = field(default_factory=dict)
    postings: int = 0

    def rows(self) -> list[CategoryImpact]:
        return [self.impacts[c] for c in sorted(self.impacts)]


RuleLookup = Callable[[str, str, datetime], FloorRule | None]


def simulate(
    postings: Iterable[Posting], old_rule: RuleLookup, new_rule: RuleLookup, progress: Callable[[], None] | None = None
) -> Simulation:
    """Old: the rule each posting was priced with. New: the proposal in force at the same time.

    Postings that had no rule then, or cannot be quoted under either rule, count as unpriceable
    and move no money in the totals.
    """
    result = Simulation()
    for p in postings:
        result.postings += 1
        if progress:
            progress()
        impact = result.impacts.setdefault(p.category, CategoryImpact(p.category))
        impact.postings += 1
        before, after = old_rule(p.category, p.region, p.posted_at), new_rule(p.category, p.region, p.posted_at)
        if before is None or after is None:
            impact.unpriceable += 1
            continue
        try:
            a = quote(before, p.estimated_minutes, p.offered_rate)
            b = quote(after, p.estimated_minutes, p.offered_rate)
        except QuoteError:
            impact.unpriceable += 1
            continue
        impact.old_client_total += a.total
        impact.new_client_total += b.total
        impact.client_delta_total += b.total - a.total
        impact.payout_delta_total += b.payout - a.payout
        if (a.total, a.payout) != (b.total, b.payout):
            impact.affected += 1
    return result
