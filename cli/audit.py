"""`floorboard audit`: check the invariants across the database and the log; exit 1 on any miss.

The command imports the domain when it runs, so its `--help` answers without loading the database
layer or the event log."""

from __future__ import annotations

import sys

import click

from cli.output import err, listing_options, print_listing


@click.command()
@click.option(
    "--dlq-max-age-hours",
    default=24.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="A dead letter not replayed after this long is a miss.",
)
@click.option("--show", default=20, show_default=True, type=click.IntRange(min=0), help="Misses to list per check.")
@listing_options
def audit(dlq_max_age_hours, show, as_csv, as_json):
    """Check that nothing accepted was lost: pricing, quotes, ledgers, the log, the DLQs. Exit 1 on a miss."""
    from events.retention import policy_from
    from marketplace.audit import audit as run_audit
    from marketplace.bootstrap import bootstrap

    platform = bootstrap()
    try:
        with err().status("auditing") as status:
            checks = run_audit(
                platform.uow,
                platform.transport,
                platform.settings.sweep_posted_after_s,
                dlq_max_age_hours,
                progress=lambda step: status.update(f"auditing: {step}"),
                retention=policy_from(platform.settings),
            )
    finally:
        platform.close()
    records = [
        {"check": c.name, "checked": c.checked, "misses": len(c.misses), "examples": c.misses[:show]} for c in checks
    ]
    rows = [[c.name, str(c.checked), "ok" if c.ok else f"{len(c.misses)} MISSED"] for c in checks]
    failed = [c for c in checks if not c.ok]
    print_listing("audit", records, ("check", "checked", "result"), rows, as_csv, as_json)
    if not (as_csv or as_json):
        for check in failed:
            click.echo(f"\n{check.name}:")
            for miss in check.misses[:show]:
                click.echo(f"  - {miss}")
            if len(check.misses) > show:
                click.echo(f"  ... and {len(check.misses) - show} more")
    if failed:
        sys.exit(1)
