"""payment calls: each call to Stripe the payments worker decides, written with the decision and
made after commit by the payment-calls sender

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('payment_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('operation', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('arguments', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_payment_calls_due', 'payment_calls', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_payment_calls_task_id'), 'payment_calls', ['task_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_payment_calls_task_id'), table_name='payment_calls')
    op.drop_index('ix_payment_calls_due', table_name='payment_calls')
    op.drop_table('payment_calls')
