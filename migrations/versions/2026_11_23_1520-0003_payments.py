"""payments: card holds, the ledger, connected accounts, Stripe customers and webhook events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:20:20.720114
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stripe_events',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('received_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('payout_accounts',
    sa.Column('tasker_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tasker_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('tasker_id'),
    sa.UniqueConstraint('account_id')
    )
    op.create_table('stripe_customers',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('customer_id')
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('posting', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_task_id'), ['task_id'], unique=False)

    op.create_table('payments',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('intent_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('payment_method', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('amount_authorized', sa.Integer(), nullable=False),
    sa.Column('amount_captured', sa.Integer(), nullable=False),
    sa.Column('amount_refunded', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('authorized_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failure_message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('transfer_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('amount_transferred', sa.Integer(), nullable=False),
    sa.Column('updated_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('task_id')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_intent_id'), ['intent_id'], unique=False)

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True))
        batch_op.create_index(batch_op.f('ix_tasks_payment_status'), ['payment_status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_payment_status'))
        batch_op.drop_column('payment_status')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_intent_id'))
        batch_op.drop_index(batch_op.f('ix_payments_client_id'))

    op.drop_table('payments')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_task_id'))

    op.drop_table('ledger_entries')
    op.drop_table('stripe_customers')
    op.drop_table('payout_accounts')
    op.drop_table('stripe_events')
