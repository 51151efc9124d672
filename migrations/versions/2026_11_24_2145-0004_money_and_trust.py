"""money and trust: adjustments the client approves, extra charges, token expiry, server-side web
sessions and idempotency keys for postings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AutoString = sqlmodel.sql.sqltypes.AutoString
UTC = events.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('tasks') as batch_op:
        batch_op.alter_column('status', existing_type=AutoString(length=16), type_=AutoString(length=24),
                              existing_nullable=False)
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(sa.Column('expires_at', UTC(timezone=True), nullable=True))
    with op.batch_alter_table('payments') as batch_op:
        batch_op.add_column(sa.Column('extra_intent_id', AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column('amount_extra', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('adjustments',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('tasker_id', sa.Integer(), nullable=False),
    sa.Column('minutes_claimed', sa.Integer(), nullable=False),
    sa.Column('reason', AutoString(length=500), nullable=False),
    sa.Column('booked_total', sa.Integer(), nullable=False),
    sa.Column('claimed_total', sa.Integer(), nullable=False),
    sa.Column('status', AutoString(length=16), nullable=False),
    sa.Column('requested_at', UTC(timezone=True), nullable=False),
    sa.Column('due_at', UTC(timezone=True), nullable=False),
    sa.Column('decided_at', UTC(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('note', AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.ForeignKeyConstraint(['tasker_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('task_id')
    )
    with op.batch_alter_table('adjustments') as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustments_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjustments_tasker_id'), ['tasker_id'], unique=False)
    op.create_table('web_sessions',
    sa.Column('id_hash', AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id_hash')
    )
    with op.batch_alter_table('web_sessions') as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)
    op.create_table('idempotency_keys',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', AutoString(length=255), nullable=False),
    sa.Column('request_hash', AutoString(length=64), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'key')
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('web_sessions') as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))
    op.drop_table('web_sessions')
    with op.batch_alter_table('adjustments') as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustments_tasker_id'))
        batch_op.drop_index(batch_op.f('ix_adjustments_status'))
    op.drop_table('adjustments')
    with op.batch_alter_table('payments') as batch_op:
        batch_op.drop_column('amount_extra')
        batch_op.drop_column('extra_intent_id')
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('tasks') as batch_op:
        batch_op.alter_column('status', existing_type=AutoString(length=24), type_=AutoString(length=16),
                              existing_nullable=False)
