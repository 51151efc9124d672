"""The schema's history (Alembic: `env.py`, `versions/`), and applying it from code: the CLI's
`db upgrade`, `floorboard dev`, and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from marketplace.settings import PROJECT_DIR


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Up to `revision`; "head" means every head, so that two branches made side by side apply
    together until a merge revision joins them."""
    command.upgrade(alembic_config(database_url), "heads" if revision == "head" else revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
