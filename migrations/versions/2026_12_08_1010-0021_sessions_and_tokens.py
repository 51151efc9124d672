"""sessions and tokens you can see: a web session's public id, last use and client; a token's last
use, client and name; the devices each user has signed in from

A session open before the upgrade gets a public id of its own (random, as new ones get), no client
and no last use yet. Downgrading drops the new columns and the devices.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-08 10:10:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), server_default="", nullable=False)
        )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=120), server_default="", nullable=False)
        )
    connection = op.get_bind()
    for (id_hash,) in connection.execute(sa.text("SELECT id_hash FROM web_sessions")).all():
        connection.execute(
            sa.text("UPDATE web_sessions SET public_id = :public_id WHERE id_hash = :id_hash"),
            {"public_id": secrets.token_urlsafe(12), "id_hash": id_hash},
        )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.alter_column("public_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_public_id"), ["public_id"], unique=True)
    op.create_table(
        "known_devices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("first_seen_at", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id", "device_hash"),
    )


def downgrade() -> None:
    op.drop_table("known_devices")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_public_id"))
        batch_op.drop_column("client")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("public_id")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("name")
        batch_op.drop_column("client")
        batch_op.drop_column("last_used_at")
