"""The `floorboard` command: a thin root that composes the command groups living beside what they
drive. Nothing below imports this package; it is the one place that sees every layer.

dev                 the web app and every worker in one process (SQLite + embedded log by default)
serve               the web app under gunicorn, for production             (api/cli.py)
worker NAME         one consumer group, or the relay                        (workers/cli.py)
replay PROJECTION   rebuild reputation or the tips boards from the log      (workers/cli.py)
dlq, topics         dead letters, and Kafka's topics                        (workers/cli.py)
db upgrade          apply the Alembic migrations                            (migrations/cli.py)
seed                regions, categories and floors; --demo adds the logins  (cli/demo.py)
floors ...          list, set, history, simulate, import, export            (marketplace/floors/cli.py)
users, payments     create an operator; reconcile the ledger with Stripe    (marketplace/*/cli.py)
audit               check that nothing accepted was lost; exit 1 on a miss (marketplace/audit/cli.py)
"""

from __future__ import annotations

import logging
import os

import click
from flask.cli import FlaskGroup
from kafka.errors import KafkaError

from api.cli import serve
from cli.demo import seed
from cli.dev import dev
from events.outages import describe, is_temporary
from marketplace.accounts.cli import users
from marketplace.audit.cli import audit
from marketplace.floors.cli import floors
from marketplace.payments.cli import payments
from marketplace.settings import Settings, dev_secret_key
from migrations.cli import db
from workers.cli import dlq, replay, topics, worker


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S", force=True
    )
    for noisy in ("kafka", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _cli_app():
    """The app for Flask's own commands (`routes`, `shell`). Without SECRET_KEY it runs on the
    development key, inside this process only: the key is never put in the environment `serve` inherits."""
    from api import create_app

    return create_app(None if os.environ.get("SECRET_KEY") else {"SECRET_KEY": dev_secret_key()})


class _Group(FlaskGroup):
    """Turns a database or broker that does not answer into one line and exit 1, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise  # a command's own message
        except Exception as exc:
            if not (is_temporary(exc) or isinstance(exc, KafkaError)):
                raise
            raise click.ClickException(
                f"{describe(exc)}\nThe database or the Kafka broker is not answering: run this again once it is back."
            ) from None


@click.group(cls=_Group, create_app=_cli_app, add_version_option=False)
def cli():
    """Floorboard: tasks priced by category fee floors."""
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a mistyped variable: say which, and stop
        raise click.ClickException(f"check the environment: {exc}") from None
    configure_logging(settings.log_level)


for command in (dev, serve, worker, replay, dlq, topics, db, seed, floors, users, payments, audit):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="floorboard")
