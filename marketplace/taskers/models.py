"""What a tasker does and where: skills with their own rates (one for every region, and a region's
own where it differs), regions, verified licenses, and the skilled categories two mentors'
endorsements opened (a projection of community.activity: taskers/mentoring.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint
from sqlmodel import Field, SQLModel

from events.sqltypes import UTCDateTime
from marketplace.clock import utcnow


class TaskerSkill(SQLModel, table=True):
    __tablename__ = "tasker_skills"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(foreign_key="categories.slug", primary_key=True, max_length=64)
    # The tasker's own rate, cents an hour, in each of their regions that has no rate of its own
    # (TaskerRegionRate); never below the floor of any of those regions. A floor rise never
    # changes it: it lifts the rate of the region whose floor rose.
    rate: int


class TaskerRegion(SQLModel, table=True):
    __tablename__ = "tasker_regions"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    region: str = Field(foreign_key="regions.slug", primary_key=True, max_length=64)


class TaskerRegionRate(SQLModel, table=True):
    """A skill's rate in one of the tasker's regions, where it is not the skill's rate: one the
    tasker set there (`chosen`), or one a floor rise lifted. `raised_from` is the rate before the
    lift (the tasker's own choice there), so the tasker is told, and a floor that comes down again
    takes the rate back down to it; a lifted row the tasker never chose goes when the lift is
    wholly undone, and the region follows the skill's rate again. Never below the region's floor."""

    __tablename__ = "tasker_region_rates"
    __table_args__ = (
        ForeignKeyConstraint(["tasker_id", "category"], ["tasker_skills.tasker_id", "tasker_skills.category"]),
        ForeignKeyConstraint(["tasker_id", "region"], ["tasker_regions.tasker_id", "tasker_regions.region"]),
    )
    tasker_id: int = Field(primary_key=True)
    category: str = Field(primary_key=True, max_length=64)
    region: str = Field(primary_key=True, max_length=64)
    rate: int  # cents an hour
    chosen: bool = True  # the tasker set this region's rate (False: a floor rise made the row)
    raised_from: int | None = None
    raised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TaskerLicense(SQLModel, table=True):
    """An operator's verification that unlocks one licensed category for one tasker."""

    __tablename__ = "tasker_licenses"
    tasker_id: int = Field(foreign_key="users.id", primary_key=True)
    category: str = Field(foreign_key="categories.slug", primary_key=True, max_length=64)
    verified_by: int = Field(foreign_key="users.id")
    note: str = Field(default="", max_length=300)
    verified_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MentorSlot(SQLModel, table=True):
    """Projection: each endorsement given (each time it is given) and whether it counts towards a
    mentored unlock: from an elite mentor with enough work in the category, within the mentor's
    monthly allowance. Rebuilt from community.activity alone."""

    __tablename__ = "mentor_slots"
    event_id: str = Field(primary_key=True, max_length=64)
    endorsement_id: int = Field(index=True)
    endorser_id: int = Field(index=True)
    endorsee_id: int = Field(index=True)
    category: str = Field(max_length=64)
    month: str = Field(max_length=7)  # YYYY-MM, UTC
    counts: bool = False
    active: bool = True


class MentoredUnlock(SQLModel, table=True):
    """Projection: a skilled category opened to a tasker by two counting endorsements."""

    __tablename__ = "mentored_unlocks"
    tasker_id: int = Field(primary_key=True)
    category: str = Field(primary_key=True, max_length=64)
    unlocked_at: datetime = Field(sa_type=UTCDateTime)
