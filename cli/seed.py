"""`floorboard seed`: regions, categories and first floors (the data is in `cli/demo.py`)."""

from __future__ import annotations

import click


@click.command()
@click.option("--demo", is_flag=True, help="Also create the demo client, tasker and operator logins.")
def seed(demo):
    """Seed regions, categories and floors (idempotent)."""
    from cli.demo import seed_platform  # the tables and the domain: loaded when it runs, not for --help
    from marketplace.bootstrap import bootstrap

    logins = seed_platform(bootstrap(), demo)
    click.echo("seeded regions, categories and floors" + (" and the demo logins" if logins else ""))
