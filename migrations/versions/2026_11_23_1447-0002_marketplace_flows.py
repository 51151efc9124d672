"""marketplace flows: tips boards and reputation projections, tasker licenses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:47:55.752448
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('board_entries',
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('unhelpful', sa.Integer(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('posted_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tip_id')
    )
    with op.batch_alter_table('board_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_entries_category'), ['category'], unique=False)

    op.create_table('karma_tips',
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('tasker_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('unhelpful', sa.Integer(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('tip_id')
    )
    with op.batch_alter_table('karma_tips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_karma_tips_tasker_id'), ['tasker_id'], unique=False)

    op.create_table('tasker_licenses',
    sa.Column('tasker_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('verified_by', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('verified_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category'], ['categories.slug'], ),
    sa.ForeignKeyConstraint(['tasker_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['verified_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('tasker_id', 'category')
    )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_column('unhelpful')
        batch_op.drop_column('helpful')



def downgrade() -> None:
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.add_column(sa.Column('helpful', sa.INTEGER(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('unhelpful', sa.INTEGER(), nullable=False, server_default='0'))

    op.drop_table('tasker_licenses')
    with op.batch_alter_table('karma_tips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_karma_tips_tasker_id'))

    op.drop_table('karma_tips')
    with op.batch_alter_table('board_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_entries_category'))

    op.drop_table('board_entries')
