"""the taskers network: connections, blocks, hand-off offers and endorsements; the mentoring and
hand-off-credit projections; a task's hand-off columns and reputation's hand-off counts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 06:11:30.638097
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('handoff_credits',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('passed_by', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('task_id')
    )
    op.create_table('mentor_slots',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('endorsement_id', sa.Integer(), nullable=False),
    sa.Column('endorser_id', sa.Integer(), nullable=False),
    sa.Column('endorsee_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('counts', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('mentor_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_slots_endorsee_id'), ['endorsee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_slots_endorsement_id'), ['endorsement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_slots_endorser_id'), ['endorser_id'], unique=False)

    op.create_table('mentored_unlocks',
    sa.Column('tasker_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('unlocked_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tasker_id', 'category')
    )
    op.create_table('blocks',
    sa.Column('blocker_id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('created_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blocked_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['blocker_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('blocker_id', 'blocked_id')
    )
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blocks_blocked_id'), ['blocked_id'], unique=False)

    op.create_table('connections',
    sa.Column('low_id', sa.Integer(), nullable=False),
    sa.Column('high_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['high_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['low_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('low_id', 'high_id')
    )
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connections_high_id'), ['high_id'], unique=False)

    op.create_table('endorsements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endorser_id', sa.Integer(), nullable=False),
    sa.Column('endorsee_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('given_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('withdrawn_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.ForeignKeyConstraint(['category'], ['categories.slug'], ),
    sa.ForeignKeyConstraint(['endorsee_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['endorser_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('endorser_id', 'endorsee_id', 'category')
    )
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endorsements_endorsee_id'), ['endorsee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_endorsements_endorser_id'), ['endorser_id'], unique=False)

    op.create_table('handoff_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('from_tasker_id', sa.Integer(), nullable=False),
    sa.Column('to_tasker_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('offered_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', events.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.ForeignKeyConstraint(['from_tasker_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.ForeignKeyConstraint(['to_tasker_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoff_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_offers_from_tasker_id'), ['from_tasker_id'], unique=False)
        batch_op.create_index('ix_handoff_offers_open', ['status', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_offers_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_offers_to_tasker_id'), ['to_tasker_id'], unique=False)

    with op.batch_alter_table('reputation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_handoffs', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('handoffs_completed', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('reputation', schema=None) as batch_op:
        batch_op.alter_column('late_handoffs', server_default=None)
        batch_op.alter_column('handoffs_completed', server_default=None)

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handoffs_allowed', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('handed_off_at', events.sqltypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handed_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_tasks_handed_from_id_users', 'users', ['handed_from_id'], ['id'])
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.alter_column('handoffs_allowed', server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tasks_handed_from_id_users', type_='foreignkey')
        batch_op.drop_column('handed_from_id')
        batch_op.drop_column('handed_off_at')
        batch_op.drop_column('handoffs_allowed')

    with op.batch_alter_table('reputation', schema=None) as batch_op:
        batch_op.drop_column('handoffs_completed')
        batch_op.drop_column('late_handoffs')

    with op.batch_alter_table('handoff_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_offers_to_tasker_id'))
        batch_op.drop_index(batch_op.f('ix_handoff_offers_task_id'))
        batch_op.drop_index('ix_handoff_offers_open')
        batch_op.drop_index(batch_op.f('ix_handoff_offers_from_tasker_id'))

    op.drop_table('handoff_offers')
    with op.batch_alter_table('endorsements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endorsements_endorser_id'))
        batch_op.drop_index(batch_op.f('ix_endorsements_endorsee_id'))

    op.drop_table('endorsements')
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connections_high_id'))

    op.drop_table('connections')
    with op.batch_alter_table('blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blocks_blocked_id'))

    op.drop_table('blocks')
    op.drop_table('mentored_unlocks')
    with op.batch_alter_table('mentor_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_slots_endorser_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_slots_endorsement_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_slots_endorsee_id'))

    op.drop_table('mentor_slots')
    op.drop_table('handoff_credits')
