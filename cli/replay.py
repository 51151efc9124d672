"""`floorboard replay PROJECTION`: rebuild a projection from the event log.

The projections are `workers.replay.PROJECTIONS`, which loads every projection's tables and
handlers; their names are written here so that `--help` loads none of it, and a test holds the two
lists equal."""

from __future__ import annotations

import click

from cli.output import out

PROJECTION_NAMES = ("market", "network", "reputation", "reviews", "tips")


@click.command()
@click.argument("projection", type=click.Choice(PROJECTION_NAMES))
def replay(projection):
    """Rebuild PROJECTION from the event log. Stop its worker first."""
    from rich.progress import Progress

    from events.outages import describe, is_temporary
    from marketplace.bootstrap import bootstrap
    from workers.replay import replay as run_replay

    platform = bootstrap()
    with Progress(console=out()) as progress:
        bar = progress.add_task(f"replaying {projection}", total=None)
        try:
            result = run_replay(
                platform, projection, on_progress=lambda done, total: progress.update(bar, completed=done, total=total)
            )
        except Exception as exc:
            if not is_temporary(exc):
                raise
            raise click.ClickException(
                f"{describe(exc)}\nThe replay rolled back and the projection is as it was: run it again once the "
                "database is back."
            ) from None
    out().print(
        f"{projection}: {result.events} events read, {result.applied} applied, "
        f"{result.skipped} skipped (undecodable or failing; see `floorboard dlq list`)"
    )
