"""questions and answers on the boards: questions, answers and their votes; the reputation
projection's counts per answer; the market's daily counts of questions and answers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 09:44:05.896341
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('karma_answers',
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('tasker_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('unhelpful', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('answer_id')
    )
    with op.batch_alter_table('karma_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_karma_answers_tasker_id'), ['tasker_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('accepted_answer_id', sa.Integer(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name='fk_questions_author_id_users'),
    sa.ForeignKeyConstraint(['category'], ['categories.slug'], name='fk_questions_category_categories'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_category'), ['category'], unique=False)

    op.create_table('answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('helpful', sa.Integer(), nullable=False),
    sa.Column('unhelpful', sa.Integer(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('hidden_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name='fk_answers_author_id_users'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name='fk_answers_question_id_questions'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answers_question_id'), ['question_id'], unique=False)

    op.create_table('answer_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('voter_id', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name='fk_answer_votes_answer_id_answers'),
    sa.ForeignKeyConstraint(['voter_id'], ['users.id'], name='fk_answer_votes_voter_id_users'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('answer_id', 'voter_id')
    )
    with op.batch_alter_table('answer_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_votes_answer_id'), ['answer_id'], unique=False)

    with op.batch_alter_table('market_community_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questions', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('answers', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('market_community_days', schema=None) as batch_op:
        batch_op.alter_column('questions', server_default=None)
        batch_op.alter_column('answers', server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('market_community_days', schema=None) as batch_op:
        batch_op.drop_column('answers')
        batch_op.drop_column('questions')

    with op.batch_alter_table('answer_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_votes_answer_id'))

    op.drop_table('answer_votes')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_question_id'))
        batch_op.drop_index(batch_op.f('ix_answers_author_id'))

    op.drop_table('answers')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_category'))
        batch_op.drop_index(batch_op.f('ix_questions_author_id'))

    op.drop_table('questions')
    with op.batch_alter_table('karma_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_karma_answers_tasker_id'))

    op.drop_table('karma_answers')
