"""market health and legal minimums: regions get an IANA time zone; legal minimums become a
history with effective dates (the single figures regions held move into it); the market
projection's tables

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 08:54:58.324674
"""
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The zones of the regions the seed creates; any other region starts on UTC.
KNOWN_ZONES = {
    'seattle': 'America/Los_Angeles',
    'nyc': 'America/New_York',
    'springfield': 'America/Chicago',
    'riverside': 'America/Los_Angeles',
}


def upgrade() -> None:
    op.create_table('market_accept_buckets',
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('upper_s', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'region', 'day', 'upper_s')
    )
    op.create_table('market_community_days',
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('tips', sa.Integer(), nullable=False),
    sa.Column('tip_votes', sa.Integer(), nullable=False),
    sa.Column('endorsements', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'day')
    )
    op.create_table('market_days',
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('priced', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('at_floor', sa.Integer(), nullable=False),
    sa.Column('above_floor', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('accept_seconds', sa.Integer(), nullable=False),
    sa.Column('cancelled_by_client', sa.Integer(), nullable=False),
    sa.Column('cancelled_by_tasker', sa.Integer(), nullable=False),
    sa.Column('handoffs', sa.Integer(), nullable=False),
    sa.Column('adjustments_claimed', sa.Integer(), nullable=False),
    sa.Column('adjustments_approved', sa.Integer(), nullable=False),
    sa.Column('adjustments_disputed', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('minutes_worked', sa.Integer(), nullable=False),
    sa.Column('payout', sa.Integer(), nullable=False),
    sa.Column('paid_out', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', 'region', 'day')
    )
    op.create_table('market_tasks',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('priced_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('held_paid_out', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_table('legal_minimums',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('effective_from', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('per_hour', sa.Integer(), nullable=True),
    sa.Column('per_minute', sa.Integer(), nullable=True),
    sa.Column('per_task', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region'], ['regions.slug'], name='fk_legal_minimums_region_regions'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region', 'effective_from')
    )
    with op.batch_alter_table('legal_minimums', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_minimums_region'), ['region'], unique=False)

    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default='UTC')
        )
    regions = sa.table(
        'regions',
        sa.column('slug', sa.String),
        sa.column('timezone', sa.String),
        sa.column('legal_min_per_hour', sa.Integer),
        sa.column('legal_min_per_minute', sa.Integer),
        sa.column('legal_min_per_task', sa.Integer),
        sa.column('legal_source', sa.String),
    )
    for slug, zone in KNOWN_ZONES.items():
        op.execute(regions.update().where(regions.c.slug == slug).values(timezone=zone))
    # Each region's single legal minimum becomes the first version of its history. The date it
    # took effect was never recorded: the start of 2025 stands in for it (operators correct it
    # with `floorboard legal-minimum set`, which adds versions).
    legal = sa.table(
        'legal_minimums',
        sa.column('region', sa.String),
        sa.column('effective_from', events.sqltypes.UTCDateTime(timezone=True)),
        sa.column('per_hour', sa.Integer),
        sa.column('per_minute', sa.Integer),
        sa.column('per_task', sa.Integer),
        sa.column('source', sa.String),
        sa.column('author', sa.String),
        sa.column('created_at', events.sqltypes.UTCDateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    rows = op.get_bind().execute(
        sa.select(
            regions.c.slug,
            regions.c.legal_min_per_hour,
            regions.c.legal_min_per_minute,
            regions.c.legal_min_per_task,
            regions.c.legal_source,
        )
    ).all()
    for slug, per_hour, per_minute, per_task, source in rows:
        if per_hour is None and per_minute is None and per_task is None:
            continue
        op.execute(
            legal.insert().values(
                region=slug,
                effective_from=datetime(2025, 1, 1, tzinfo=timezone.utc),
                per_hour=per_hour,
                per_minute=per_minute,
                per_task=per_task,
                source=source or '',
                author='migration 0011',
                created_at=now,
            )
        )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.alter_column('timezone', server_default=None)
        batch_op.drop_column('legal_min_per_minute')
        batch_op.drop_column('legal_min_per_task')
        batch_op.drop_column('legal_min_per_hour')
        batch_op.drop_column('legal_source')


def downgrade() -> None:
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_source', sa.VARCHAR(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('legal_min_per_hour', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('legal_min_per_task', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('legal_min_per_minute', sa.INTEGER(), nullable=True))
        batch_op.drop_column('timezone')

    with op.batch_alter_table('legal_minimums', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_minimums_region'))

    op.drop_table('legal_minimums')
    op.drop_table('market_tasks')
    op.drop_table('market_days')
    op.drop_table('market_community_days')
    op.drop_table('market_accept_buckets')
