"""private details and task steps: a task's address and access notes (private), its public area,
and the history of its steps for the client's timeline

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tasks') as batch:
        batch.add_column(sa.Column('area', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False, server_default=''))
        batch.add_column(sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=''))
        batch.add_column(sa.Column('access_notes', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default=''))
    with op.batch_alter_table('tasks') as batch:
        batch.alter_column('area', server_default=None)
        batch.alter_column('address', server_default=None)
        batch.alter_column('access_notes', server_default=None)
    op.create_table(
        'task_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('at', events.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_task_steps_task_id', 'task_steps', ['task_id'])


def downgrade() -> None:
    op.drop_index('ix_task_steps_task_id', table_name='task_steps')
    op.drop_table('task_steps')
    with op.batch_alter_table('tasks') as batch:
        batch.drop_column('access_notes')
        batch.drop_column('address')
        batch.drop_column('area')
