"""Every command's `--help`, and every subcommand's, loads no heavy library: each runs in a fresh
interpreter, walks its command's tree asking each level for `--help`, then names the heavy modules
it finds in sys.modules. (What is loaded, not how long it took: timings on a shared machine are
noise.) The replay command's projections, written in cli/ so its help loads none of them, are held
equal to the workers' own list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]

# Third-party libraries a command loads when it runs, and our own packages that bring them.
HEAVY = (
    "sqlalchemy sqlmodel alembic psycopg kafka flask werkzeug jinja2 stripe marshmallow argon2 redis gunicorn "
    "rich aiosmtpd api workers migrations events"
).split()

DRIVER = """
import json, sys
import click
from cli import cli

def walk(path, command):
    cli([*path, "--help"], standalone_mode=False, prog_name="floorboard")
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            walk([*path, name], command.get_command(None, name))

name = sys.argv[1]
walk([name], cli.get_command(None, name))
loaded = sorted({module.split(".")[0] for module in sys.modules} & set(json.loads(sys.argv[2])))
print("LOADED " + json.dumps(loaded))
"""


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_commands_help_loads_nothing_heavy(name):
    ran = subprocess.run(
        [sys.executable, "-c", DRIVER, name, json.dumps(HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert "Usage: floorboard " + name in ran.stdout  # the help was printed
    last = ran.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED ") and json.loads(last.removeprefix("LOADED ")) == []


def test_the_driver_sees_a_heavy_import():
    """The check above can fail: a command that imports SQLAlchemy for its help is caught."""
    probe = DRIVER.replace("name = sys.argv[1]", "import sqlalchemy\nname = sys.argv[1]")
    ran = subprocess.run(
        [sys.executable, "-c", probe, "users", json.dumps(HEAVY)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout.strip().splitlines()[-1].removeprefix("LOADED ")) == ["sqlalchemy"]


def test_replays_choices_are_the_workers_projections():
    from cli.replay import PROJECTION_NAMES
    from workers.replay import PROJECTIONS

    assert sorted(PROJECTION_NAMES) == sorted(PROJECTIONS)
