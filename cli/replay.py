"""`floorboard replay PROJECTION`: rebuild a projection from the event log. Its own module, since the
list of projections it offers is read from the workers (and so loads them)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import Progress

from events.outages import describe, is_temporary
from marketplace.bootstrap import bootstrap
from workers.replay import PROJECTIONS
from workers.replay import replay as run_replay

console = Console()


@click.command()
@click.argument("projection", type=click.Choice(sorted(PROJECTIONS)))
def replay(projection):
    """Rebuild PROJECTION (reputation or tips) from the event log. Stop its worker first."""
    platform = bootstrap()
    with Progress(console=console) as progress:
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
    console.print(
        f"{projection}: {result.events} events read, {result.applied} applied, "
        f"{result.skipped} skipped (undecodable or failing; see `floorboard dlq list`)"
    )
