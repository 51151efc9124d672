"""Alembic environment: targets SQLModel.metadata; the URL comes from the caller or DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

import events.tables  # noqa: F401 - registers the backbone's tables
import marketplace.tables  # noqa: F401 - registers every table on the metadata
from marketplace.db import make_engine
from marketplace.settings import Settings

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    # render_as_batch: SQLite can only ALTER a table by copying it; batch mode does that.
    # SQLite enforces foreign keys per connection, and copying a table that others refer to
    # (batch mode drops the old one) would fail with them on; the pragma only changes outside a
    # transaction, and the keys are checked again before they are switched back on.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.commit()  # then straight to the driver: SQLAlchemy would BEGIN first
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
    connection.commit()
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
