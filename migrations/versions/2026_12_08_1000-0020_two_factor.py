"""two-factor sign-in: a TOTP secret per user (encrypted) and one-time recovery codes (hashed)

Operators must now sign in with a code. An operator's API tokens issued before this revision were
got with a password alone, so upgrading revokes them: the operator signs in again, with a code once
enrolled (an operator's web sessions need no such step: the console sends an operator without
two-factor to enrolment). Downgrading drops both tables; revoked tokens stay revoked.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import events.sqltypes

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "two_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", events.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", events.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_code_hash"), ["code_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)
    op.execute(
        sa.text(
            "UPDATE api_tokens SET revoked_at = :now WHERE revoked_at IS NULL "
            "AND user_id IN (SELECT id FROM users WHERE role = 'operator')"
        ).bindparams(
            sa.bindparam("now", type_=events.sqltypes.UTCDateTime(timezone=True), value=events.sqltypes.utcnow())
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))
        batch_op.drop_index(batch_op.f("ix_recovery_codes_code_hash"))
    op.drop_table("recovery_codes")
    op.drop_table("two_factor")
