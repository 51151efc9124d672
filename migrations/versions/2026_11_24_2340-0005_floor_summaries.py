"""floor summaries: each floor version carries a short public summary of what changed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('floor_rules') as batch_op:
        batch_op.add_column(
            sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('floor_rules') as batch_op:
        batch_op.drop_column('summary')
