"""The market projection's tables (group "market"); `floorboard replay market` rebuilds them."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime

# Time to accept is kept as counts in fixed buckets (upper bounds in seconds; the last is
# unbounded): a percentile is then the upper bound of the bucket it falls in. Fixed buckets add
# up across days and regions exactly, which a sketch of quantiles would only approximate.
ACCEPT_BUCKETS_S = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 604800, 2**31 - 1)

COUNTERS = (
    "priced",  # tasks first priced this local day (the cohort the fill rate is measured on)
    "rejected",  # postings refused a price this day (no floor, a bad estimate...)
    "at_floor",  # of `priced`: priced at the category's hourly floor
    "above_floor",  # of `priced`: the client offered more than the floor
    "accepted",  # of `priced`: accepted at least once (so fill rate = accepted / priced)
    "accept_seconds",  # of `accepted`: the seconds from pricing to the first acceptance, summed
    "cancelled_by_client",  # cancellations this day, by side
    "cancelled_by_tasker",
    "handoffs",  # tasks handed to a peer this day
    "adjustments_claimed",  # extra time claimed, approved by the client, disputed by the client
    "adjustments_approved",
    "adjustments_disputed",
    "completed",  # tasks completed this day,
    "minutes_worked",  # the minutes worked on them,
    "payout",  # and what their taskers were paid for them (cents, the final quote's payout)
    "paid_out",  # transfers to taskers (cents) for the tasks priced this day
)


class MarketDay(SQLModel, table=True):
    __tablename__ = "market_days"
    category: str = Field(primary_key=True, max_length=64)
    region: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)  # the region's local day
    priced: int = 0
    rejected: int = 0
    at_floor: int = 0
    above_floor: int = 0
    accepted: int = 0
    accept_seconds: int = 0
    cancelled_by_client: int = 0
    cancelled_by_tasker: int = 0
    handoffs: int = 0
    adjustments_claimed: int = 0
    adjustments_approved: int = 0
    adjustments_disputed: int = 0
    completed: int = 0
    minutes_worked: int = 0
    payout: int = 0
    paid_out: int = 0


class MarketAcceptBucket(SQLModel, table=True):
    """How many of a day's cohort were first accepted within `upper_s` seconds of pricing (and
    after the previous bucket's bound)."""

    __tablename__ = "market_accept_buckets"
    category: str = Field(primary_key=True, max_length=64)
    region: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    upper_s: int = Field(primary_key=True)
    count: int = 0


class MarketCommunityDay(SQLModel, table=True):
    """A board's activity. Tips, questions, answers and endorsements belong to a category, not a
    region, so they are counted per category and local day on each regions' clock (`zone`, an IANA
    name): a region's market page reads its own zone's days, like every other figure on it."""

    __tablename__ = "market_community_days"
    category: str = Field(primary_key=True, max_length=64)
    zone: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    tips: int = 0
    tip_votes: int = 0
    questions: int = 0
    answers: int = 0
    endorsements: int = 0


class MarketTask(SQLModel, table=True):
    """What the projection remembers of each task, so that facts arriving on different topics in
    either order are counted once, on the task's cohort day."""

    __tablename__ = "market_tasks"
    task_id: int = Field(primary_key=True)
    category: str | None = Field(default=None, max_length=64)
    region: str | None = Field(default=None, max_length=64)
    day: date | None = None  # the local day it was priced: known once task.priced is read
    priced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the first acceptance
    held_paid_out: int = 0  # transfers read before the pricing, added to the cohort day when it is


PROJECTION_TABLES = (MarketDay, MarketAcceptBucket, MarketCommunityDay, MarketTask)
