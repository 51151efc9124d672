"""`floorboard serve`: the web app under gunicorn, for production. It refuses to start without a
real secret, or with the test suite's cheap password hashing."""

from __future__ import annotations

import os
import sys

import click

from marketplace.settings import Settings, is_dev_secret_key


@click.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", "processes", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--plain-http", is_flag=True, help="Not behind HTTPS (a local trial): session cookies without Secure, and no HSTS."
)
@click.option(
    "--control-socket",
    type=click.Path(dir_okay=False),
    default=None,
    help="gunicorn's control socket, one path per instance (default: none, so two instances never share one).",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Serve /metrics (Prometheus) on this port, which answers nothing else but /healthz and /readyz; "
    "the site's port never serves it (docs/metrics.md).",
)
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="The address the metrics listen on.")
def serve(bind, processes, plain_http, control_socket, metrics_port, metrics_host):
    """The web app under gunicorn (set SECRET_KEY, DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS)."""
    key = os.environ.get("SECRET_KEY", "")
    if not key:
        raise click.ClickException(
            "SECRET_KEY is not set; production needs a stable secret from the environment "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
        )
    if len(key) < 32 or is_dev_secret_key(key):
        raise click.ClickException(
            "SECRET_KEY must be a random secret of at least 32 characters, and not the development key "
            "that `floorboard dev` keeps in instance/."
        )
    if os.environ.get("FLOORBOARD_PASSWORD_HASHING", "standard") != "standard":
        raise click.ClickException(
            "FLOORBOARD_PASSWORD_HASHING is for test suites; production hashes passwords at argon2's standard cost."
        )
    if os.environ.get("FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK", "") == "1":
        raise click.ClickException(
            "FLOORBOARD_WEBHOOKS_ALLOW_LOOPBACK is for test suites and `floorboard dev`; a served app never "
            "sends webhooks to this machine's own addresses."
        )
    from marketplace.bootstrap import refuse_to_start  # the domain's wiring: loaded when serving, not for --help

    problem = refuse_to_start(Settings.from_env())
    if problem:
        raise click.ClickException(problem)
    if processes > 1 and os.environ.get("RATELIMIT_STORAGE_URI", "memory://").startswith(
        ("memory://", "floorboard-memory://")
    ):
        click.echo(
            f"warning: {processes} workers and no shared rate-limit store: each worker counts sign-in failures on "
            f"its own, so {processes}x the attempts get through. Set RATELIMIT_STORAGE_URI=redis://HOST:PORT/0.",
            err=True,
        )
    env = {**os.environ, "FLOORBOARD_HTTPS_ONLY": "0" if plain_http else "1"}
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(processes), "--bind", bind]
    if metrics_port is not None:
        if bind.rpartition(":")[2] == str(metrics_port):
            raise click.ClickException(f"--metrics-port {metrics_port} is the site's own port: choose another.")
        # A second listener in the same workers; the app tells the two apart by the socket's port.
        host = f"[{metrics_host}]" if ":" in metrics_host else metrics_host  # an IPv6 address
        gunicorn += ["--bind", f"{host}:{metrics_port}"]
        env["FLOORBOARD_METRICS_PORT"] = str(metrics_port)
    gunicorn += ["--control-socket", control_socket] if control_socket else ["--no-control-socket"]
    os.execvpe(sys.executable, [*gunicorn, "--access-logfile", "-", "api.wsgi:app"], env)
