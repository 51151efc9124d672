"""The `floorboard` command: a thin root that composes the command groups living beside what they
drive. Nothing below imports this package; it is the one place that sees every layer.

Each command's module is imported only when that command runs, so `floorboard --help` and every
command start without loading Flask, SQLAlchemy, Kafka or Stripe for the others (`make bench`
measures `floorboard --help` against `python -c pass`).
"""

from __future__ import annotations

import importlib
import logging

import click

# name -> (module, attribute, the one line `floorboard --help` shows), in the order shown.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "dev": ("cli.dev", "dev", "The web app and every worker in one process (SQLite and the embedded log)."),
    "serve": ("cli.serve", "serve", "The web app under gunicorn, for production."),
    "worker": ("cli.workers", "worker", "Run one worker (a consumer group, or the relay) until SIGTERM."),
    "replay": (
        "cli.replay",
        "replay",
        "Rebuild a projection (reputation, tips, network, market, reviews) from the log.",
    ),
    "dlq": ("cli.workers", "dlq", "Dead letters: list them, replay them."),
    "topics": ("cli.workers", "topics", "Kafka topics: create them."),
    "db": ("cli.db", "db", "The database schema: apply the migrations."),
    "seed": ("cli.seed", "seed", "Regions, categories and first floors (--demo adds the demo logins)."),
    "floors": ("cli.floors", "floors", "Fee floors: list, set, history, simulate, import, export."),
    "legal-minimum": (
        "cli.market",
        "legal_minimum",
        "Legal minimums by region: list, set (dated versions).",
    ),
    "compliance": (
        "cli.market",
        "compliance",
        "Tasks paid under the legal minimum in a month; exit 1 if any.",
    ),
    "users": ("cli.users", "users", "Accounts: create an operator, reset someone's two-factor sign-in."),
    "close-account": ("cli.privacy", "close_account", "Close an account for someone who asked (docs/privacy.md)."),
    "payments": ("cli.payments", "payments", "Reconcile the ledger with Stripe."),
    "audit": ("cli.audit", "audit", "Check that nothing accepted was lost; exit 1 on a miss."),
    "deploy": ("cli.deploy", "deploy", "The deployment files (Procfile, systemd, Kubernetes) from the workers."),
}


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S", force=True
    )
    for noisy in ("kafka", "alembic.runtime.plugins", "stripe"):  # stripe: a line per request and retry
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _Root(click.Group):
    """Floorboard's commands only, each loaded when it runs. A database or broker that does not
    answer is one line and exit 1, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list in `--help`, from COMMANDS: no command module is imported to show it."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, line) for name, (_, _, line) in COMMANDS.items()])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # a command's own message, `--help`'s exit, or ^C: nothing to describe (and nothing to import)
        except Exception as exc:
            from kafka.errors import KafkaError

            from events.outages import describe, is_temporary

            if not (is_temporary(exc) or isinstance(exc, KafkaError)):
                raise
            raise click.ClickException(
                f"{describe(exc)}\nThe database or the Kafka broker is not answering: run this again once it is back."
            ) from None


@click.group(cls=_Root)
def cli():
    """Floorboard: tasks priced by category fee floors."""
    from marketplace.settings import Settings

    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a mistyped variable: say which, and stop
        raise click.ClickException(f"check the environment: {exc}") from None
    configure_logging(settings.log_level)


def main() -> None:
    cli(prog_name="floorboard")
