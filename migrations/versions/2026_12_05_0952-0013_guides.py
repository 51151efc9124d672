"""guides: a board's tips and accepted answers in order, assembled by elite or trusted taskers,
and the marks of taskers who found them helpful

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 09:52:17.312719
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('guides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('intro_markdown', sa.Text(), nullable=False),
    sa.Column('intro_html', sa.Text(), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name='fk_guides_author_id_users'),
    sa.ForeignKeyConstraint(['category'], ['categories.slug'], name='fk_guides_category_categories'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('guides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guides_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guides_category'), ['category'], unique=False)

    op.create_table('guide_items',
    sa.Column('guide_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['guide_id'], ['guides.id'], name='fk_guide_items_guide_id_guides'),
    sa.PrimaryKeyConstraint('guide_id', 'position')
    )
    op.create_table('guide_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guide_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['guide_id'], ['guides.id'], name='fk_guide_votes_guide_id_guides'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name='fk_guide_votes_voter_id_users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('guide_id', 'voter_id')
    )
    with op.batch_alter_table('guide_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guide_votes_guide_id'), ['guide_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('guide_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guide_votes_guide_id'))

    op.drop_table('guide_votes')
    op.drop_table('guide_items')
    with op.batch_alter_table('guides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guides_category'))
        batch_op.drop_index(batch_op.f('ix_guides_author_id'))

    op.drop_table('guides')
