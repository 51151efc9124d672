"""two-sided reviews: the tasker's review of the client, when each review is revealed, and the
reveal projection; reviews written before are marked revealed (they were shown at once)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 10:16:50.794865
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_pending',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('client_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tasker_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_table('review_reveals',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('revealed_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_table('client_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tasker_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revealed_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['users.id'], name='fk_client_reviews_client_id_users'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name='fk_client_reviews_task_id_tasks'),
    sa.ForeignKeyConstraint(['tasker_id'], ['users.id'], name='fk_client_reviews_tasker_id_users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_id', name='uq_client_reviews_task_id')
    )
    with op.batch_alter_table('client_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_reviews_client_id'), ['client_id'], unique=False)

    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revealed_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True))
    # Every review so far was shown at once: revealed when written, in the projection too (as a
    # replay finds it, from its review.submitted event of the old form).
    op.execute("UPDATE reviews SET revealed_at = created_at")
    op.execute(
        "INSERT INTO review_reveals (task_id, revealed_at, reason) SELECT task_id, created_at, 'legacy' FROM reviews"
    )



def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('revealed_at')

    with op.batch_alter_table('client_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_reviews_client_id'))

    op.drop_table('client_reviews')
    op.drop_table('review_reveals')
    op.drop_table('review_pending')
