"""What a tasker does and where: skills with their own rates, regions, verified licenses."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class TaskerSkill(SQLModel, table=True):
    __tablename__ = "tasker_skills"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(foreign_key="categories.slug", primary_key=True, max_length=64)
    rate: int  # the tasker's own rate, cents an hour, never below the floor
    raised_from: int | None = None  # set when a floor rise lifted the rate, so the tasker is told
    raised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TaskerRegion(SQLModel, table=True):
    __tablename__ = "tasker_regions"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    region: str = Field(foreign_key="regions.slug", primary_key=True, max_length=64)


class TaskerLicense(SQLModel, table=True):
    """An operator's verification that unlocks one licensed category for one tasker."""

    __tablename__ = "tasker_licenses"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(foreign_key="categories.slug", primary_key=True, max_length=64)
    verified_by: int = Field(foreign_key="users.id")
    note: str = Field(default="", max_length=300)
    verified_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
