"""Migrations go up and down on SQLite and PostgreSQL, and the models match the migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import events.tables  # noqa: F401 - registers the tables on the metadata
import marketplace.tables  # noqa: F401 - registers the tables on the metadata
from marketplace.db import make_engine
from migrations import downgrade, upgrade

TABLES = {
    "users",
    "api_tokens",
    "regions",
    "categories",
    "floor_rules",
    "tasks",
    "quotes",
    "tasker_skills",
    "tasker_regions",
    "reviews",
    "tips",
    "tip_votes",
    "reputation",
    "event_log",
    "processed_events",
    "consumer_offsets",
    "consumer_members",
}


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_upgrade_downgrade_upgrade(database, request):
    url = request.getfixturevalue(f"{database}_url")  # already at head (cloned from the template)
    engine = make_engine(url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(url, "head")
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        engine.dispose()


def test_the_history_has_one_head():
    """Branches made side by side are joined by a merge revision before they ship."""
    from alembic.script import ScriptDirectory

    from migrations import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()) == 1
