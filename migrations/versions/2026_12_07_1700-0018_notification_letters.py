"""notification letters: an email row may keep what its letter says (the reader's name, its lines
and its link) instead of its rendered bodies, and is rendered when the mailer sends it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("letter", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("notifications", "letter")
