"""`floorboard db upgrade | downgrade`: apply the schema's history to DATABASE_URL."""

from __future__ import annotations

import click

from marketplace.settings import Settings


@click.group()
def db():
    """The database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Apply the migrations up to REVISION."""
    from migrations import upgrade  # Alembic and SQLAlchemy: loaded when it runs, not for --help

    settings = Settings.from_env()
    _run(upgrade, settings.database_url, revision)
    click.echo(f"database at {settings.database_shown} is at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision):
    """Undo the migrations down to REVISION."""
    from migrations import downgrade

    settings = Settings.from_env()
    _run(downgrade, settings.database_url, revision)
    click.echo(f"database at {settings.database_shown} is at {revision}")


def _run(step, database_url: str, revision: str) -> None:
    """Run an upgrade or downgrade; a revision Alembic does not know is the user's typo, said in one
    line with a non-zero exit, not a traceback."""
    from alembic.util import CommandError

    try:
        step(database_url, revision)
    except CommandError as error:
        shown = revision.encode("utf-8", "backslashreplace").decode("utf-8")
        raise click.ClickException(f"no such revision: {shown!r} (none of the migrations is named so)") from error
