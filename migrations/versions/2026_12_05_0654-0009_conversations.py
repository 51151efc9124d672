"""conversations: a task's messages between its client and its tasker, how far each has read, and
operators' recorded reads of a thread

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 06:54:09.919416
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('masked', sa.Boolean(), nullable=False),
    sa.Column('sent_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_messages_task_id_id', ['task_id', 'id'], unique=False)

    op.create_table('operator_thread_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('read_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('operator_thread_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_thread_reads_task_id'), ['task_id'], unique=False)

    op.create_table('thread_reads',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_read_id', sa.Integer(), nullable=False),
    sa.Column('read_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('task_id', 'user_id')
    )


def downgrade() -> None:
    op.drop_table('thread_reads')
    with op.batch_alter_table('operator_thread_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_thread_reads_task_id'))

    op.drop_table('operator_thread_reads')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_task_id_id')
        batch_op.drop_index(batch_op.f('ix_messages_recipient_id'))

    op.drop_table('messages')
