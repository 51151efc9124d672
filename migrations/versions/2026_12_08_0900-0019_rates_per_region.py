"""rates per region: a tasker's skill keeps one rate for every region, and a region may have its
own (one the tasker set, or one a floor rise lifted, with the rate before the lift)

A skill's rate used to be one figure for all of the tasker's regions, lifted to the highest floor
among them (`raised_from` kept the tasker's own). Upgrading gives such a skill its own rate back
as the rate in every region, and each of the tasker's regions a lifted rate at the old figure
(`raised_from` the tasker's own, `chosen` false): nobody's rate moves during the migration. The
tasker-rates worker's next sweep then takes each region's rate down to what that region's floor
requires (a region whose floor is at or below the tasker's own rate follows it again).

Downgrading folds a skill's rates back into one: the highest of its regions' rates, with the rate
in every region as `raised_from` when that is lower (a region's own rate set by the tasker is lost).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasker_region_rates",
        sa.Column("tasker_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("raised_from", sa.Integer(), nullable=True),
        sa.Column("raised_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tasker_id", "category"], ["tasker_skills.tasker_id", "tasker_skills.category"]),
        sa.ForeignKeyConstraint(["tasker_id", "region"], ["tasker_regions.tasker_id", "tasker_regions.region"]),
        sa.PrimaryKeyConstraint("tasker_id", "category", "region"),
    )
    op.execute(
        sa.text(
            "INSERT INTO tasker_region_rates (tasker_id, category, region, rate, chosen, raised_from, raised_at) "
            "SELECT s.tasker_id, s.category, r.region, s.rate, :chosen, s.raised_from, s.raised_at "
            "FROM tasker_skills s JOIN tasker_regions r ON r.tasker_id = s.tasker_id "
            "WHERE s.raised_from IS NOT NULL AND s.raised_from < s.rate"
        ).bindparams(chosen=False)
    )
    op.execute(
        sa.text("UPDATE tasker_skills SET rate = raised_from WHERE raised_from IS NOT NULL AND raised_from < rate")
    )
    with op.batch_alter_table("tasker_skills", schema=None) as batch_op:
        batch_op.drop_column("raised_at")
        batch_op.drop_column("raised_from")


def downgrade() -> None:
    with op.batch_alter_table("tasker_skills", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raised_from", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("raised_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True))
    highest = (
        "(SELECT MAX(rr.rate) FROM tasker_region_rates rr "
        "WHERE rr.tasker_id = tasker_skills.tasker_id AND rr.category = tasker_skills.category)"
    )
    op.execute(
        sa.text(
            "UPDATE tasker_skills SET raised_from = rate, "
            "raised_at = (SELECT MAX(rr.raised_at) FROM tasker_region_rates rr "
            "WHERE rr.tasker_id = tasker_skills.tasker_id AND rr.category = tasker_skills.category), "
            f"rate = {highest} WHERE {highest} > rate"
        )
    )
    op.drop_table("tasker_region_rates")
