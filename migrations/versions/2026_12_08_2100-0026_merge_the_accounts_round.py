"""merge: the branches made side by side after 0019 (two-factor, sessions and tokens, closed
accounts and forgotten words, data export, community days per clock, sign-in links) join here, so
the history has one head again. Nothing changes in the schema.

Revision ID: 0026
Revises: 0020, 0021, 0022, 0023, 0024, 0025
Create Date: 2026-12-08 21:00:00
"""

from collections.abc import Sequence

revision: str = "0026"
down_revision: str | Sequence[str] | None = ("0020", "0021", "0022", "0023", "0024", "0025")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
