"""`floorboard dev`: the web app and every worker in one process, on the embedded defaults (SQLite and
the embedded event log), migrated and seeded with the demo logins. It needs no service.

It accepts webhook endpoints on loopback (http://127.0.0.1:PORT/, http://localhost:PORT/), so a
tasker's app or `examples/tasker_bot.py --webhook PORT` on the same machine hears its deliveries:
the API, the webhooks page and the webhook sender it runs all allow them. A served app (`floorboard
serve`) never does (api/rest/webhooks.py `loopback_allowed`)."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading

import click

from cli.output import out


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-workers", is_flag=True, help="Serve the web app only.")
@click.option("--mail-port", default=8025, show_default=True, type=int, help="The local SMTP server's port.")
def dev(host, port, no_workers, mail_port):
    """The web app and every worker in one process, seeded with demo data; mail goes to a local
    SMTP server and shows at /dev/mail (unless SMTP_URL names another server)."""
    # Everything it runs, loaded when it runs: `floorboard dev --help` loads none of it.
    from rich.table import Table
    from werkzeug.serving import run_simple

    from api import create_app
    from cli.demo import DEMO_OPERATOR_TOTP_SECRET, seed_platform
    from marketplace.bootstrap import bootstrap
    from marketplace.settings import Settings, dev_secret_key
    from migrations import upgrade
    from workers import run_in_threads, workers_for

    in_use = _in_use(host, port, "the web app", "--port")
    if not os.environ.get("SMTP_URL"):
        in_use = in_use or _in_use("127.0.0.1", mail_port, "the local mail server", "--mail-port")
    if in_use:
        raise click.ClickException(in_use)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = dev_secret_key()
    mailbox = None
    if not os.environ.get("SMTP_URL"):
        from cli.dev_mail import start as start_mail

        _, mailbox = start_mail(mail_port)
        os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{mail_port}"
    os.environ.setdefault("FLOORBOARD_PUBLIC_URL", f"http://{host}:{port}")
    settings = dataclasses.replace(Settings.from_env(), webhooks_allow_loopback=True)
    upgrade(settings.database_url)
    platform = bootstrap(settings)
    if platform.transport.name == "kafka":
        platform.transport.ensure_topics()
    logins = seed_platform(platform, demo=True)
    stop = threading.Event()
    if not no_workers:
        run_in_threads(platform, workers_for(platform), stop)
    app = create_app({"DEV_MAILBOX": mailbox, "DEV_SERVER": True}, platform=platform)

    console = out()
    table = Table(title="Demo logins", show_lines=False)
    for column in ("role", "email", "password"):
        table.add_column(column)
    for email, password, role in logins:
        table.add_row(role, email, password)
    console.print(
        f"\n[bold green]Floorboard[/bold green] on {settings.database_shown} "
        f"with the {platform.transport.name} event log"
    )
    console.print(f"  web:      http://{host}:{port}/")
    console.print(f"  API docs: http://{host}:{port}/api/docs")
    if mailbox is not None:
        console.print(f"  mail:     http://{host}:{port}/dev/mail (a local SMTP server on 127.0.0.1:{mail_port})")
    console.print("  webhooks: loopback endpoints accepted (http://127.0.0.1:PORT/), on this development server only")
    console.print(table)
    # Unwrapped (soft_wrap), so the command stays one line to copy.
    console.print(
        "  The demo operator signs in with two-factor (operators must): after the password, a code from an "
        f"authenticator app given the key [bold]{DEMO_OPERATOR_TOTP_SECRET}[/bold], or from (docs/two-factor.md):",
        soft_wrap=True,
    )
    console.print(
        f"    .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_OPERATOR_TOTP_SECRET}').now())\"",
        soft_wrap=True,
        highlight=False,
    )
    try:
        # app.run() refuses to run inside the flask CLI; run_simple is what it would call.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()


def _in_use(host: str, port: int, what: str, option: str) -> str:
    """Why `port` cannot be listened on for `what`, with the option that moves it ("" if it can)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers themselves do
        try:
            probe.bind((host, port))
        except OSError as exc:
            return (
                f"port {port} ({what}) is in use on {host}: {exc.strerror}. Stop what uses it, or choose "
                f'another port: `make run ARGS="{option} {port + 1}"` '
                f"(or `.venv/bin/floorboard dev {option} {port + 1}`)."
            )
    return ""
