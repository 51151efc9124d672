"""community days per clock: a board's activity is counted per category and local day on each
regions' clock (a `zone` column in the key), so a region's market page shows it on its own days

Counts made before the upgrade were per UTC day; they are kept under the zone "UTC" (which is
what they were), and `floorboard replay market` recounts them on every region's clock.
Downgrading keeps the UTC rows (and, where there are none, nothing: a day on another clock is not
a UTC day).

Revision ID: 0024
Revises: 0019
Create Date: 2026-12-08 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("tips", "tip_votes", "questions", "answers", "endorsements")


def _table(name: str, with_zone: bool) -> None:
    columns = [sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)]
    if with_zone:
        columns.append(sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False))
    columns.append(sa.Column("day", sa.Date(), nullable=False))
    columns += [sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS]
    keys = ("category", "zone", "day") if with_zone else ("category", "day")
    op.create_table(name, *columns, sa.PrimaryKeyConstraint(*keys, name=f"pk_{name}"))


def upgrade() -> None:
    _table("market_community_days_by_zone", with_zone=True)
    counts = ", ".join(COUNTS)
    op.execute(
        f"INSERT INTO market_community_days_by_zone (category, zone, day, {counts}) "
        f"SELECT category, 'UTC', day, {counts} FROM market_community_days"
    )
    op.drop_table("market_community_days")
    op.rename_table("market_community_days_by_zone", "market_community_days")


def downgrade() -> None:
    _table("market_community_days_by_day", with_zone=False)
    counts = ", ".join(COUNTS)
    op.execute(
        f"INSERT INTO market_community_days_by_day (category, day, {counts}) "
        f"SELECT category, day, {counts} FROM market_community_days WHERE zone = 'UTC'"
    )
    op.drop_table("market_community_days")
    op.rename_table("market_community_days_by_day", "market_community_days")
