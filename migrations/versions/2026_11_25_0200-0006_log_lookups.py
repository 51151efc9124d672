"""log lookups: find a task's events by key (the sweeper, the audit), and prune processed_events by age

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 02:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_event_log_topic_key', 'event_log', ['topic', 'key'])
    op.create_index('ix_processed_events_processed_at', 'processed_events', ['processed_at'])


def downgrade() -> None:
    op.drop_index('ix_processed_events_processed_at', table_name='processed_events')
    op.drop_index('ix_event_log_topic_key', table_name='event_log')
