"""announcements as tasks open: the tasks the task.available announcer found open at its last
sweep, and its cursor (the moment that sweep looked at)

The announcer used to compute every subscriber's whole feed each sweep. It now starts from here:
the tasks open now count as seen (the old sweeps announced them to whom they were open), and the
cursor is now, so the windows that open from now on, and the tasks that open from now on, are
announced, whenever the sender next runs.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announced_tasks",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("priced_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("addressed_to_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("task_id"),
    )
    with op.batch_alter_table("announced_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announced_tasks_priced_at"), ["priced_at"], unique=False)

    sweeps = op.create_table(
        "announcement_sweeps",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("swept_at", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    op.execute(
        "INSERT INTO announced_tasks (task_id, priced_at, addressed_to_id) "
        "SELECT id, priced_at, addressed_to_id FROM tasks WHERE status = 'priced' AND payment_status = 'authorized'"
    )
    op.bulk_insert(sweeps, [{"kind": "task.available", "swept_at": datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_table("announcement_sweeps")
    with op.batch_alter_table("announced_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announced_tasks_priced_at"))

    op.drop_table("announced_tasks")
