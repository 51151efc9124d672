"""rebooking: a task addressed to one tasker the client worked with, until when, and whether only to them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 10:01:37.648569
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addressed_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('addressed_until', events.sqltypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('only_addressed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_tasks_addressed_to_id'), ['addressed_to_id'], unique=False)
        batch_op.create_foreign_key('fk_tasks_addressed_to_id_users', 'users', ['addressed_to_id'], ['id'])
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.alter_column('only_addressed', server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tasks_addressed_to_id_users', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tasks_addressed_to_id'))
        batch_op.drop_column('only_addressed')
        batch_op.drop_column('addressed_until')
        batch_op.drop_column('addressed_to_id')

