"""data exports: one row per archive a person asks for (its progress, its one-time link's hash,
and the archive itself until it is downloaded or expires)

Revision ID: 0023
Revises: 0019
Create Date: 2026-12-08 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = "0023"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("requested_at", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("archive", sa.LargeBinary(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_exports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_exports_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_exports_user_id"))
        batch_op.drop_index(batch_op.f("ix_data_exports_status"))
    op.drop_table("data_exports")
