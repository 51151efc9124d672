"""What operators read from the market projection: a category's daily series in a region, the floor
changes in it with what each did (14 days before against 14 after), and the figures /metrics
exports for alerting. Every rate comes with the counts behind it.

Over 400 lines on purpose: the series, the change windows and /metrics' figures are one read of the
same projection rows, each rate with the counts behind it."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from marketplace.errors import Invalid, NotFound
from marketplace.floors.legal import all_histories, to_minimum
from marketplace.floors.legal import history as legal_history
from marketplace.floors.legal import in_force as legal_in_force
from marketplace.floors.models import Category, FloorRuleVersion, Region
from marketplace.floors.zones import UTC, from_local_lenient, local_day, zone, zone_of, zones_of
from marketplace.market.models import (
    ACCEPT_BUCKETS_S,
    COUNTERS,
    MarketAcceptBucket,
    MarketCommunityDay,
    MarketDay,
    MarketTask,
)
from marketplace.market.projection import bucket_for
from marketplace.tasks.models import Task, TaskQuote, TaskStatus

MAX_DAYS = 366
COMPARE_DAYS = 14  # a floor change's before/after: this many local days on each side


def percentile(buckets: Counter[int], q: float) -> int | None:
    """The upper bound (seconds) of the bucket holding the q-th quantile; None without data or
    when it lies in the unbounded last bucket (over a week)."""
    total = sum(buckets.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for upper in ACCEPT_BUCKETS_S:
        seen += buckets.get(upper, 0)
        if seen >= rank:
            return None if upper == ACCEPT_BUCKETS_S[-1] else upper
    return None  # pragma: no cover - the buckets sum to `total`


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def pay_per_hour(payout: int, minutes: int) -> int | None:
    """Cents an hour worked, rounded half up; None when no minute was worked."""
    return None if minutes <= 0 else (payout * 60 * 2 + minutes) // (minutes * 2)


@dataclass
class Day:
    day: date
    counts: dict[str, int]
    buckets: Counter[int]
    tips: int = 0
    tip_votes: int = 0
    questions: int = 0
    answers: int = 0
    endorsements: int = 0
    floor: int | None = None  # the hourly floor in force at the end of the local day
    legal_hourly: int | None = None  # the legal minimum, as cents an hour, in force that day
    legal_per_task: int | None = None

    def figures(self) -> dict[str, Any]:
        c = self.counts
        return {
            "day": self.day.isoformat(),
            **c,
            "fill_rate": ratio(c["accepted"], c["priced"]),
            "accept_p50_s": percentile(self.buckets, 0.5),
            "accept_p90_s": percentile(self.buckets, 0.9),
            "completed_hours": round(c["minutes_worked"] / 60, 2),
            "effective_pay_per_hour": pay_per_hour(c["payout"], c["minutes_worked"]),
            "share_at_floor": ratio(c["at_floor"], c["priced"]),
            "tips": self.tips,
            "tip_votes": self.tip_votes,
            "questions": self.questions,
            "answers": self.answers,
            "endorsements": self.endorsements,
            "hourly_floor": self.floor,
            "legal_minimum_per_hour": self.legal_hourly,
            "legal_minimum_per_task": self.legal_per_task,
        }


@dataclass
class FloorChange:
    version: int
    effective_from: datetime
    day: date  # the local day it took effect
    hourly_floor: int
    previous_hourly_floor: int | None
    summary: str
    comparison: dict[str, Any] = field(default_factory=dict)


def check_place(session: Session, category: str, region: str) -> Region:
    errors = {}
    if not isinstance(category, str) or session.get(Category, category[:64]) is None:
        errors["category"] = [f"No category {str(category)[:64]!r}."]
    place = session.get(Region, region[:64]) if isinstance(region, str) else None
    if place is None:
        errors["region"] = [f"No region {str(region)[:64]!r}."]
    if errors or place is None:
        raise NotFound("No such category or region.", errors)
    return place


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def check_span(first: date, last: date) -> None:
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST <= day <= LATEST:
            raise Invalid("Check the dates.", {name: [f"Between {EARLIEST} and {LATEST}."]})
    if last < first:
        raise Invalid("Check the dates.", {"to": ["Must not be before the first day."]})
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid("Check the dates.", {"from": [f"At most {MAX_DAYS} days at a time."]})


def _rows(session: Session, model, category: str, region: str | None, first: date, last: date) -> list:
    """A projection table's rows for one category (and region), from day `first` to `last`."""
    query = select(model).where(col(model.category) == category, col(model.day) >= first, col(model.day) <= last)
    if region is not None:
        query = query.where(col(model.region) == region)
    return list(session.exec(query))


def _days(session: Session, category: str, region: str, first: date, last: date, clock: str) -> dict[date, Day]:
    span = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    found = {day: Day(day, dict.fromkeys(COUNTERS, 0), Counter()) for day in span}
    for row in _rows(session, MarketDay, category, region, first, last):
        found[row.day].counts = {name: getattr(row, name) for name in COUNTERS}
    for b in _rows(session, MarketAcceptBucket, category, region, first, last):
        found[b.day].buckets[b.upper_s] += b.count
    community = _rows(session, MarketCommunityDay, category, None, first, last)
    for c in (c for c in community if c.zone == clock):  # the board's days on this region's clock
        day = found[c.day]
        day.tips, day.tip_votes, day.questions, day.answers = c.tips, c.tip_votes, c.questions, c.answers
        day.endorsements = c.endorsements
    return found


def _versions(session: Session, category: str, region: str) -> list[FloorRuleVersion]:
    rows = session.exec(
        select(FloorRuleVersion).where(
            col(FloorRuleVersion.category) == category, col(FloorRuleVersion.region) == region
        )
    )
    return sorted(rows, key=lambda r: (r.effective_from, r.version))


def series(session: Session, category: str, region: str, first: date, last: date) -> list[Day]:
    """One entry per local day from `first` to `last`, days without activity included, each with
    the floor and the legal minimum in force that day."""
    place = check_place(session, category, region)
    check_span(first, last)
    tz = zone(place.timezone) if place.timezone else UTC
    days = _days(session, category, region, first, last, tz.key)
    versions = _versions(session, category, region)
    legal = legal_history(session, region)
    for d in days.values():
        end = from_local_lenient(datetime.combine(d.day + timedelta(days=1), time(0, 0)), tz) - timedelta(
            microseconds=1
        )
        in_force = [v for v in versions if v.effective_from <= end]
        d.floor = in_force[-1].hourly_floor if in_force else None
        minimum = legal_in_force(legal, end)
        if minimum is not None:
            d.legal_hourly = to_minimum(minimum).hourly_equivalent or None
            d.legal_per_task = minimum.per_task
    return [days[k] for k in sorted(days)]


def _summed(days: list[Day]) -> tuple[Counter[str], Counter[int]]:
    counts: Counter[str] = Counter()
    buckets: Counter[int] = Counter()
    for d in days:
        counts.update(d.counts)
        buckets.update(d.buckets)
    return counts, buckets


def compare(before: list[Day], after: list[Day], threshold: int) -> dict[str, Any]:
    """Fill rate, time to accept and effective pay, before against after, with the counts behind
    each; a difference is marked "too few tasks" when either side has fewer than `threshold`."""
    return compare_counts((*_summed(before), len(before)), (*_summed(after), len(after)), threshold)


Side = tuple[Counter[str], Counter[int], int]  # counts, time-to-accept buckets, days covered


def compare_counts(before: Side, after: Side, threshold: int) -> dict[str, Any]:
    """As `compare`, from each side's summed counts and buckets."""
    sides: dict[str, dict[str, Any]] = {}
    for name, (counts, buckets, days) in (("before", before), ("after", after)):
        sides[name] = {
            "days": days,
            "priced": counts["priced"],
            "accepted": counts["accepted"],
            "fill_rate": ratio(counts["accepted"], counts["priced"]),
            "accept_p50_s": percentile(buckets, 0.5),
            "accept_p90_s": percentile(buckets, 0.9),
            "completed": counts["completed"],
            "minutes_worked": counts["minutes_worked"],
            "payout": counts["payout"],
            "effective_pay_per_hour": pay_per_hour(counts["payout"], counts["minutes_worked"]),
        }
    b, a = sides["before"], sides["after"]

    def change(figure: str, basis: str) -> dict[str, Any]:
        enough = min(b[basis], a[basis]) >= threshold
        delta = None
        if enough and b[figure] is not None and a[figure] is not None:
            delta = a[figure] - b[figure]
        return {"change": delta, "basis": basis, "too_few_tasks": not enough}

    return {
        **sides,
        "threshold": threshold,
        "fill_rate": change("fill_rate", "priced"),
        "accept_p50_s": change("accept_p50_s", "accepted"),
        "effective_pay_per_hour": change("effective_pay_per_hour", "completed"),
    }


def cohort(session: Session, category: str, region: str, start: datetime, end: datetime) -> Side:
    """The tasks first priced from `start` to just before `end` (exact moments, so a change's
    sides split at the change itself, not at its day): how many, how many are filled (accepted
    and not given back since), their time to accept in buckets, and those completed with the
    minutes worked and the pay of their final price."""
    counts: Counter[str] = Counter()
    buckets: Counter[int] = Counter()
    rows = session.exec(
        select(MarketTask.priced_at, MarketTask.accepted_at).where(
            col(MarketTask.category) == category,
            col(MarketTask.region) == region,
            col(MarketTask.priced_at) >= start,
            col(MarketTask.priced_at) < end,
        )
    )
    for priced_at, accepted_at in rows:
        counts["priced"] += 1
        if accepted_at is not None and priced_at is not None:
            counts["accepted"] += 1
            buckets[bucket_for(max(0, int((accepted_at - priced_at).total_seconds())))] += 1
    done = session.exec(
        select(Task.minutes_worked, TaskQuote.payout)
        .join(MarketTask, col(MarketTask.task_id) == Task.id)
        .join(TaskQuote, (col(TaskQuote.task_id) == Task.id) & (col(TaskQuote.kind) == "final"))
        .where(
            col(MarketTask.category) == category,
            col(MarketTask.region) == region,
            col(MarketTask.priced_at) >= start,
            col(MarketTask.priced_at) < end,
            col(Task.status) == TaskStatus.completed,
        )
    )
    for minutes, payout in done:
        counts.update(completed=1, minutes_worked=minutes or 0, payout=payout)
    days = max(1, math.ceil((end - start).total_seconds() / 86400))
    return counts, buckets, days


def floor_changes(
    session: Session, category: str, region: str, first: date, last: date, threshold: int
) -> list[FloorChange]:
    """The floor versions that took effect from `first` to `last` (local days), each comparing
    the tasks priced under it in the COMPARE_DAYS days from the moment it took effect with those
    priced under the version before it in the COMPARE_DAYS days before that moment (each side
    stops at the neighbouring change)."""
    place = check_place(session, category, region)
    check_span(first, last)
    tz = zone_of(session, place.slug)
    versions = _versions(session, category, region)
    window = timedelta(days=COMPARE_DAYS)
    changes = []
    for previous, version, following in zip([None, *versions[:-1]], versions, [*versions[1:], None], strict=True):
        day = local_day(version.effective_from, tz)
        if not first <= day <= last or previous is None:
            continue  # a category's first floor is its start, not a change
        at = version.effective_from
        before = cohort(session, category, region, max(at - window, previous.effective_from), at)
        after_end = min(at + window, following.effective_from) if following is not None else at + window
        after = cohort(session, category, region, at, after_end)
        changes.append(
            FloorChange(
                version=version.version,
                effective_from=version.effective_from,
                day=day,
                hourly_floor=version.hourly_floor,
                previous_hourly_floor=previous.hourly_floor,
                summary=version.summary,
                comparison=compare_counts(before, after, threshold),
            )
        )
    return changes


def change_dict(change: FloorChange) -> dict[str, Any]:
    out = asdict(change)
    out["day"] = change.day.isoformat()
    return out


@dataclass(frozen=True)
class Gauge:
    category: str
    region: str
    priced: int
    fill_rate: float | None
    completed: int
    effective_pay_per_hour: int | None
    legal_minimum_per_hour: int | None


def gauges(session: Session, now: datetime, days: int = 7) -> list[Gauge]:
    """Each category x region over its last `days` local days (today included): fill rate and
    effective pay, with the legal minimum in force now."""
    zones = zones_of(session)  # every region's zone, in one query
    firsts = {slug: local_day(now, tz) - timedelta(days=days - 1) for slug, tz in zones.items()}
    totals: dict[tuple[str, str], Counter[str]] = {}
    oldest = min(firsts.values(), default=now.date())
    for row in session.exec(select(MarketDay).where(col(MarketDay.day) >= oldest)):
        if row.region in firsts and row.day >= firsts[row.region]:
            totals.setdefault((row.category, row.region), Counter()).update({n: getattr(row, n) for n in COUNTERS})
    legal = {slug: legal_in_force(rows, now) for slug, rows in all_histories(session).items()}  # one query
    out = []
    for (category, region), c in sorted(totals.items()):
        minimum = legal.get(region)
        out.append(
            Gauge(
                category,
                region,
                c["priced"],
                ratio(c["accepted"], c["priced"]),
                c["completed"],
                pay_per_hour(c["payout"], c["minutes_worked"]),
                (to_minimum(minimum).hourly_equivalent or None) if minimum is not None else None,
            )
        )
    return out


def span(session: Session, region: str, first: date | None, last: date | None, now: datetime) -> tuple[date, date]:
    """The days asked for, by default the 90 local days ending today in the region."""
    last = last or local_day(now, zone_of(session, region))
    return first or last - timedelta(days=89), last


def data_span(session: Session, category: str, region: str, now: datetime, most: int = 90) -> tuple[date, date]:
    """The console's default days: from the first local day with activity or a floor change (at
    most `most` days back) to today, so the data fills the chart instead of its right edge."""
    tz = zone_of(session, region)
    today = local_day(now, tz)
    earliest = today - timedelta(days=most - 1)
    busy = session.exec(
        select(func.min(MarketDay.day)).where(
            col(MarketDay.category) == category, col(MarketDay.region) == region, col(MarketDay.day) >= earliest
        )
    ).one()
    changed = [local_day(v.effective_from, tz) for v in _versions(session, category, region)]
    starts = [d for d in [busy, *changed] if d is not None and earliest <= d <= today]
    return (min(starts) if starts else today - timedelta(days=13)), today


def busiest(session: Session, category: str | None = None, region: str | None = None) -> tuple[str, str] | None:
    """The category and region (either fixed when given) with the most tasks priced, for a page
    opened without a choice; None when nothing was ever priced there."""
    query = select(MarketDay.category, MarketDay.region, func.sum(MarketDay.priced).label("n"))
    if category:
        query = query.where(col(MarketDay.category) == category)
    if region:
        query = query.where(col(MarketDay.region) == region)
    row = session.exec(
        query.group_by(col(MarketDay.category), col(MarketDay.region)).order_by(
            func.sum(MarketDay.priced).desc(), col(MarketDay.category), col(MarketDay.region)
        )
    ).first()
    return (row[0], row[1]) if row is not None and row[2] else None


@dataclass(frozen=True)
class Step:
    """A value in force from a moment (a floor version, a legal minimum): lines drawn as steps."""

    at: datetime
    value: int | None


def floor_steps(session: Session, category: str, region: str) -> list[Step]:
    """The hourly floor of each version, from the moment it took effect, oldest first."""
    return [Step(v.effective_from, v.hourly_floor) for v in _versions(session, category, region)]


def legal_steps(session: Session, region: str) -> list[Step]:
    """The legal minimum as cents an hour, from the moment each version took effect."""
    return [Step(r.effective_from, to_minimum(r).hourly_equivalent or None) for r in legal_history(session, region)]


CSV_COLUMNS = (
    "day",
    "priced",
    "accepted",
    "fill_rate",
    "accept_p50_s",
    "accept_p90_s",
    "rejected",
    "at_floor",
    "above_floor",
    "share_at_floor",
    "cancelled_by_client",
    "cancelled_by_tasker",
    "handoffs",
    "adjustments_claimed",
    "adjustments_approved",
    "adjustments_disputed",
    "completed",
    "minutes_worked",
    "completed_hours",
    "payout",
    "paid_out",
    "effective_pay_per_hour",
    "hourly_floor",
    "legal_minimum_per_hour",
    "legal_minimum_per_task",
    "tips",
    "tip_votes",
    "questions",
    "answers",
    "endorsements",
)


def to_csv(days: list[Day]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for d in days:
        writer.writerow({k: ("" if v is None else v) for k, v in d.figures().items()})
    return out.getvalue()
