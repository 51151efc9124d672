"""The `floorboard` command: a Flask CLI group.

dev          the web app and every worker in one process (SQLite + embedded log by default)
serve        the web app under gunicorn, for production on PostgreSQL and Kafka
worker NAME  one consumer group (or the relay), for production
db upgrade   apply the Alembic migrations
seed         regions, categories and floors (and with --demo, the demo logins)
replay       rebuild the reputation or tips projection from the event log
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading

import click
from flask.cli import FlaskGroup
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from werkzeug.serving import run_simple

from marketplace.settings import PROJECT_DIR, Settings

console = Console()
INSTANCE_DIR = PROJECT_DIR / "instance"


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S", force=True
    )
    for noisy in ("kafka", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def dev_secret_key() -> str:
    """A random key kept in instance/ (gitignored), so dev sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _cli_app():
    """The app for commands that need one. Without SECRET_KEY it runs on the development key, but
    only inside this process: the key is never put in the environment that `serve` would inherit."""
    from api import create_app

    return create_app(None if os.environ.get("SECRET_KEY") else {"SECRET_KEY": dev_secret_key()})


def _platform():
    from marketplace.bootstrap import bootstrap

    return bootstrap(Settings.from_env())


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    sys.exit(1)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@click.group(cls=FlaskGroup, create_app=_cli_app, add_version_option=False)
def cli():
    """Floorboard: tasks priced by category fee floors."""
    configure_logging(Settings.from_env().log_level)


@cli.group()
def db():
    """Database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Apply migrations up to REVISION."""
    from marketplace.migrate import upgrade

    url = Settings.from_env().database_url
    upgrade(url, revision)
    console.print(f"database at [bold]{_safe_url(url)}[/bold] is at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision):
    """Revert migrations down to REVISION (e.g. base)."""
    from marketplace.migrate import downgrade

    downgrade(Settings.from_env().database_url, revision)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _seed(platform, demo: bool):
    from marketplace.seed import seed_demo

    with platform.uow() as uow:
        logins = seed_demo(uow, demo_users=demo)
        uow.commit()
    return logins


@cli.command()
@click.option("--demo", is_flag=True, help="Also create the demo client, tasker and operator logins.")
def seed(demo):
    """Seed regions, categories and floors (idempotent)."""
    platform = _platform()
    logins = _seed(platform, demo)
    console.print("seeded regions, categories and floors" + (" and the demo logins" if logins else ""))


@cli.group()
def topics():
    """Kafka topics."""


@topics.command("create")
def topics_create():
    """Create every topic (6 partitions; pricing.floors compacted). Safe to run twice."""
    platform = _platform()
    if platform.transport.name != "kafka":
        _fail("KAFKA_BOOTSTRAP_SERVERS is not set: the embedded log needs no topics.")
    platform.transport.ensure_topics()
    console.print("topics are in place")


@cli.command()
@click.argument("name")
def worker(name):
    """Run one worker (a consumer group, or the relay) until SIGTERM."""
    from workers import registry

    specs = registry()
    if name not in specs:
        _fail(f"no worker named {name!r}; choose one of: {', '.join(sorted(specs))}")
    platform = _platform()
    spec = specs[name]
    if spec.kafka_only and platform.transport.name != "kafka":
        _fail(f"the {name} worker needs KAFKA_BOOTSTRAP_SERVERS (the embedded log needs no relay)")
    if platform.transport.name == "kafka":
        platform.transport.ensure_topics()
    stop = _stop_on_signals()
    spec.build(platform).run(stop)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-workers", is_flag=True, help="Serve the web app only.")
def dev(host, port, no_workers):
    """The web app and every worker in one process, seeded with demo data."""
    from api import create_app
    from marketplace.bootstrap import bootstrap
    from marketplace.migrate import upgrade
    from workers import run_in_threads, workers_for

    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = dev_secret_key()
    settings = Settings.from_env()
    upgrade(settings.database_url)
    platform = bootstrap(settings)
    if platform.transport.name == "kafka":
        platform.transport.ensure_topics()
    logins = _seed(platform, demo=True)
    stop = threading.Event()
    if not no_workers:
        run_in_threads(platform, workers_for(platform), stop)
    app = create_app(platform=platform)

    table = Table(title="Demo logins", show_lines=False)
    for column in ("role", "email", "password"):
        table.add_column(column)
    for email, password, role in logins:
        table.add_row(role, email, password)
    console.print(
        f"\n[bold green]Floorboard[/bold green] on {_safe_url(settings.database_url)} "
        f"with the {platform.transport.name} event log"
    )
    console.print(f"  web:      http://{host}:{port}/")
    console.print(f"  API docs: http://{host}:{port}/api/docs")
    console.print(table)
    try:
        # app.run() refuses to run inside the flask CLI; run_simple is what it would call.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()


@cli.command(with_appcontext=False)
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", "processes", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--plain-http", is_flag=True, help="Not behind HTTPS (a local trial): session cookies without Secure, and no HSTS."
)
def serve(bind, processes, plain_http):
    """The web app under gunicorn (set SECRET_KEY, DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS)."""
    key = os.environ.get("SECRET_KEY", "")
    if not key:
        _fail(
            "SECRET_KEY is not set; production needs a stable secret from the environment "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    dev_key = INSTANCE_DIR / "secret_key"
    if len(key) < 32 or (dev_key.exists() and dev_key.read_text().strip() == key):
        _fail(
            "SECRET_KEY must be a random secret of at least 32 characters, and not the development key "
            "that `floorboard dev` keeps in instance/."
        )
    if os.environ.get("FLOORBOARD_PASSWORD_HASHING", "standard") != "standard":
        _fail("FLOORBOARD_PASSWORD_HASHING is for test suites; production hashes passwords at argon2's standard cost.")
    env = {**os.environ, "FLOORBOARD_HTTPS_ONLY": "0" if plain_http else "1"}
    os.execvpe(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(processes),
            "--bind",
            bind,
            "--access-logfile",
            "-",
            "api.wsgi:app",
        ],
        env,
    )


@cli.group()
def users():
    """Accounts."""


@users.command("create-operator")
@click.argument("email")
@click.password_option(
    prompt="Operator password", help="Or set FLOORBOARD_OPERATOR_PASSWORD.", envvar="FLOORBOARD_OPERATOR_PASSWORD"
)
def create_operator(email, password):
    """Create an operator account."""
    from marketplace.accounts import create_user
    from marketplace.errors import DomainError

    platform = _platform()
    with platform.uow() as uow:
        try:
            user = create_user(uow.session, email, password, "operator")
        except DomainError as exc:
            _fail("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()))
        uow.commit()
    console.print(f"operator {user.email} created (id {user.id})")


@cli.group()
def dlq():
    """Dead-letter queues: see what failed, and replay it once fixed."""


def _check_topic(topic: str) -> str:
    from events.topics import DLQ_SUFFIX, TOPICS

    base = topic.removesuffix(DLQ_SUFFIX)
    if base not in TOPICS:
        _fail(f"unknown topic {topic!r}; topics are: {', '.join(TOPICS)}")
    return base


@dlq.command("list")
@click.argument("topic")
def dlq_list(topic):
    """Show the dead letters of TOPIC (e.g. tasks.posted)."""
    from events.dlq import list_dead_letters

    letters = list_dead_letters(_platform().transport, _check_topic(topic))
    table = Table(title=f"{topic} dead letters ({len(letters)})")
    for column in ("failed at", "consumer", "key", "attempts", "error"):
        table.add_column(column)
    for d in letters:
        table.add_row(d.failed_at, d.consumer, d.key or "", str(d.attempts), d.error[:120])
    console.print(table)


@dlq.command("replay")
@click.argument("topic")
def dlq_replay(topic):
    """Put TOPIC's dead letters back on TOPIC, once each."""
    from events.dlq import list_dead_letters, replay_dead_letters

    platform = _platform()
    base = _check_topic(topic)
    total = len(list_dead_letters(platform.transport, base))
    with Progress(console=console) as progress:
        bar = progress.add_task(f"replaying {base}.dlq", total=total)
        result = replay_dead_letters(platform.transport, platform.uow, base, progress=lambda: progress.advance(bar))
    console.print(
        f"replayed {result.replayed}, already replayed {result.already_replayed}, "
        f"undecodable (left in the DLQ) {result.undecodable}"
    )


@cli.command()
@click.argument("projection", type=click.Choice(["reputation", "tips"]))
def replay(projection):
    """Rebuild PROJECTION (reputation or tips) from the event log. Stop its worker first."""
    from workers.replay import replay as run_replay

    platform = _platform()
    with Progress(console=console) as progress:
        bar = progress.add_task(f"replaying {projection}", total=None)
        result = run_replay(
            platform, projection, on_progress=lambda done, total: progress.update(bar, completed=done, total=total)
        )
    console.print(
        f"{projection}: {result.events} events read, {result.applied} applied, "
        f"{result.skipped} skipped (undecodable or failing; see `floorboard dlq list`)"
    )


@cli.group()
def payments():
    """Payments: check the ledger against Stripe."""


@payments.command("reconcile")
def payments_reconcile():
    """Compare every task's ledger with its PaymentIntent and transfer at Stripe; exit 1 on any difference."""
    from sqlmodel import func, select

    from marketplace.models import Payment
    from marketplace.reconcile import reconcile

    platform = _platform()
    try:
        if platform.gateway.name != "stripe":
            _fail("no Stripe account is configured (set STRIPE_SECRET_KEY); there is nothing to reconcile against")
        with platform.uow() as uow, Progress(console=console) as progress:
            total = uow.session.exec(select(func.count()).select_from(Payment)).one()
            bar = progress.add_task("reconciling", total=total)
            differences = reconcile(uow.session, platform.gateway, progress=lambda: progress.advance(bar))
    finally:
        platform.close()
    if not differences:
        console.print("ledger and Stripe agree: no differences")
        return
    table = Table(title=f"{len(differences)} difference(s)")
    for column in ("task", "what", "ledger", "stripe"):
        table.add_column(column)
    for d in differences:
        table.add_row(str(d.task_id), d.what, d.ledger, d.stripe)
    console.print(table)
    sys.exit(1)


from api.floors_cli import floors  # noqa: E402 - registered on the group defined above

cli.add_command(floors)


def main() -> None:
    cli(prog_name="floorboard")
