"""`floorboard compliance report` and `floorboard legal-minimum list | set`.

Each command imports the domain when it runs, so its `--help` answers without loading the database
layer."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from cli.output import err, listing_options, print_listing

if TYPE_CHECKING:
    from marketplace.errors import DomainError


def _refuse(exc: DomainError) -> None:
    lines = [f"{name}: {' '.join(messages)}" for name, messages in exc.errors.items()] or [exc.message]
    for line in lines:
        err().print(f"[red]error:[/red] {line}", highlight=False)
    sys.exit(2)


@click.group()
def compliance():
    """Check pay against the legal minimums."""


@compliance.command("report")
@click.option("--region", required=True, help="A region's slug, e.g. seattle.")
@click.option("--month", required=True, help="The region's local month, YYYY-MM.")
@listing_options
def report_command(region, month, as_csv, as_json):
    """Every task completed in the month whose pay per minute worked, per hour worked or per task
    fell under the legal minimum in force when it was completed. Exit 0 when clean, 1 when not
    (2 for a region or month that is not one)."""
    from marketplace.bootstrap import bootstrap
    from marketplace.errors import DomainError
    from marketplace.market.compliance import report as compliance_report
    from pricing.money import format_cents

    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    platform = bootstrap()
    try:
        with platform.uow() as uow:
            found = compliance_report(uow.session, region, month)
    except DomainError as exc:
        _refuse(exc)
    records = [s.record() for s in found.shortfalls]
    if as_json:
        summary = {
            "region": found.region,
            "timezone": found.timezone,
            "month": found.month,
            "checked": found.checked,
            "completed_without_a_minimum": found.without_minimum,
            "clean": found.clean,
            "shortfalls": records,
        }
        click.echo(json.dumps(summary, indent=2))
    elif as_csv:
        print_listing("", records, [], [], as_csv=True)
    else:
        columns = ("task", "category", "tasker", "completed (local)", "minutes", "paid", "rule", "required", "short by")
        rows = [
            (
                str(s.task_id),
                s.category,
                str(s.tasker_id or ""),
                s.completed_local,
                str(s.minutes_worked),
                format_cents(s.payout),
                s.rule,
                format_cents(s.required),
                format_cents(s.shortfall) + (" (ruling pending)" if s.ruling_pending else ""),
            )
            for s in found.shortfalls
        ]
        title = f"Pay under the legal minimum in {found.region}, {found.month} ({found.timezone})"
        if rows:
            print_listing(title, records, columns, rows)
        verdict = "clean" if found.clean else f"{len(found.shortfalls)} shortfall(s)"
        click.echo(
            f"{found.checked} completed task(s) checked in {found.region}, {found.month}: {verdict}."
            + (
                f" {found.without_minimum} completed while no legal minimum was in force."
                if found.without_minimum
                else ""
            )
        )
    sys.exit(0 if found.clean else 1)


@click.group("legal-minimum")
def legal_minimum():
    """Regions' legal minimums, versioned like floors (laws change their figures yearly)."""


@legal_minimum.command("list")
@click.option("--region", default=None, help="One region only.")
@listing_options
def list_command(region, as_csv, as_json):
    """Every version of every region's legal minimum, oldest first."""
    from sqlmodel import select

    from marketplace.bootstrap import bootstrap
    from marketplace.floors.legal import history
    from marketplace.floors.models import Region
    from pricing.money import format_cents

    platform = bootstrap()
    with platform.uow() as uow:
        session = uow.session
        if region is not None and session.get(Region, region[:64]) is None:
            raise click.UsageError(f"no region {region!r}")
        slugs = [region] if region else sorted(session.exec(select(Region.slug)))
        rows = [row for slug in slugs for row in history(session, slug)]
    records = [
        {
            "region": r.region,
            "effective_from": r.effective_from.isoformat(),
            "per_hour": r.per_hour,
            "per_minute": r.per_minute,
            "per_task": r.per_task,
            "source": r.source,
            "author": r.author,
        }
        for r in rows
    ]
    shown = [
        (
            r.region,
            f"{r.effective_from:%Y-%m-%d %H:%M} UTC",
            format_cents(r.per_hour) if r.per_hour else "",
            format_cents(r.per_minute) if r.per_minute else "",
            format_cents(r.per_task) if r.per_task else "",
            r.source,
        )
        for r in rows
    ]
    print_listing(
        "Legal minimums",
        records,
        ("region", "from", "per hour", "per minute", "per task", "source"),
        shown,
        as_csv=as_csv,
        as_json=as_json,
    )


@legal_minimum.command("set")
@click.option("--region", required=True)
@click.option("--effective-from", required=True, help="When it takes effect, ISO 8601 with a zone.")
@click.option("--per-hour", type=int, default=None, help="Cents an hour worked.")
@click.option("--per-minute", type=int, default=None, help="Cents a minute of engaged time.")
@click.option("--per-task", type=int, default=None, help="Cents a task (an offer).")
@click.option("--source", required=True, help="The law, and where its figures are published.")
@click.option("--author", default="cli", show_default=True)
def set_command(region, effective_from, per_hour, per_minute, per_task, source, author):
    """Record a new version of a region's legal minimum (past versions are kept)."""
    from marketplace.bootstrap import bootstrap
    from marketplace.errors import DomainError
    from marketplace.floors.legal import MinimumChange, set_minimum

    try:
        when = datetime.fromisoformat(effective_from)
    except ValueError:
        raise click.UsageError(f"--effective-from {effective_from!r} is not an ISO 8601 time") from None
    platform = bootstrap()
    try:
        with platform.uow() as uow:
            row, under = set_minimum(uow, MinimumChange(region, when, per_hour, per_minute, per_task, source), author)
            uow.commit()
    except DomainError as exc:
        _refuse(exc)
    click.echo(f"{region}: legal minimum recorded from {row.effective_from:%Y-%m-%d %H:%M} UTC.")
    if under:
        err().print(
            "[yellow]warning:[/yellow] these floors pay under it from that date; raise them with "
            f"`floorboard floors set`: {', '.join(under)}",
            highlight=False,
        )
