"""The places and kinds of work floors are set for, and every version of every floor."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class Level(StrEnum):
    general = "general"
    skilled = "skilled"
    licensed = "licensed"


class Region(SQLModel, table=True):
    __tablename__ = "regions"
    slug: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=120)
    currency: str = Field(default="USD", max_length=3)
    # The IANA zone its clients and taskers live by: start times are entered and shown in it, and
    # the market's days are its local days.
    timezone: str = Field(default="UTC", max_length=64)


class LegalMinimumVersion(SQLModel, table=True):
    """A region's statutory pay minimum from `effective_from` until the next version: versions are
    added, never edited, so the minimum in force on any past day can be read back."""

    __tablename__ = "legal_minimums"
    __table_args__ = (UniqueConstraint("region", "effective_from"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    region: str = Field(foreign_key="regions.slug", max_length=64, index=True)
    effective_from: datetime = Field(sa_type=UTCDateTime)
    per_hour: int | None = None  # cents an hour worked
    per_minute: int | None = None  # cents a minute of engaged time
    per_task: int | None = None  # cents an offer (a whole task)
    source: str = Field(default="", max_length=300)  # the law, and where its figures are published
    author: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Category(SQLModel, table=True):
    __tablename__ = "categories"
    slug: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=120)
    level: str = Field(default=Level.general, max_length=16)
    description: str = Field(default="", max_length=500)


class FloorRuleVersion(SQLModel, table=True):
    """A version of a (category, region) floor. Versions are never edited, only added."""

    __tablename__ = "floor_rules"
    __table_args__ = (UniqueConstraint("category", "region", "version"),)
    id: int = Field(default=None, primary_key=True)  # assigned on insert; code only sees stored rows
    category: str = Field(foreign_key="categories.slug", max_length=64, index=True)
    region: str = Field(foreign_key="regions.slug", max_length=64, index=True)
    version: int
    hourly_floor: int
    per_task_floor: int = 0
    min_billable_minutes: int = 60
    billing_increment_minutes: int = 15
    service_fee_bps: int = 0
    trust_fee_bps: int = 0
    tasker_commission_bps: int = 0
    effective_from: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    author_id: int | None = Field(default=None, foreign_key="users.id")
    author: str = Field(default="", max_length=254)
    reason: str = Field(default="", max_length=500)  # internal: operators only
    summary: str = Field(default="", max_length=200)  # public: what changed, in a line
