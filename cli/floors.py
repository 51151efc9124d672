"""`floorboard floors list | set | history | simulate | import FILE.csv | export`.

Each command imports the domain when it runs, so `floorboard floors --help` (and every command's
`--help`) answers without loading the database layer."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from cli.output import err, listing_options, out, print_listing
from marketplace.floors.limits import SANITY_FACTOR

if TYPE_CHECKING:
    from pricing import FloorRuleError


def _refuse(errors) -> None:
    for line in errors:
        err().print(f"[red]error:[/red] {line}")
    sys.exit(1)


def _field_errors(exc: FloorRuleError) -> list[str]:
    return [f"{name}: {' '.join(messages)}" for name, messages in exc.errors.items()]


def _values(pairs: tuple[str, ...]) -> dict:
    from marketplace.floors.versions import RULE_FIELDS

    values = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        if name not in RULE_FIELDS or not raw:
            _refuse([f"{pair!r}: give FIELD=VALUE with FIELD one of {', '.join(RULE_FIELDS)}"])
        try:
            values[name] = int(raw)
        except ValueError:
            _refuse([f"{name} must be a whole number (cents or basis points), not {raw!r}"])
    return values


@click.group()
def floors():
    """Fee floors per category and region."""


@floors.command("list")
@click.option("--region", help="Only this region.")
@listing_options
def list_floors(region, as_csv, as_json):
    """The rules in force now, and the changes scheduled after them."""
    from sqlmodel import col, select

    from marketplace.bootstrap import bootstrap
    from marketplace.floors.models import Category, Region
    from marketplace.floors.versions import RULE_FIELDS, current_rule, scheduled_changes
    from pricing.money import format_cents

    platform = bootstrap()
    records, rows = [], []
    with platform.uow() as uow:
        s = uow.session
        regions = [r for r in s.exec(select(Region).order_by(col(Region.slug))) if region in (None, r.slug)]
        if region and not regions:
            _refuse([f"unknown region {region!r}"])
        coming = scheduled_changes(s)
        for r in regions:
            for c in s.exec(select(Category.slug).order_by(col(Category.slug))):
                rule = current_rule(s, c, r.slug)
                if rule:
                    values = {name: getattr(rule, name) for name in RULE_FIELDS}
                    later = coming.get((c, r.slug), [])
                    records.append(
                        {
                            "category": c,
                            "region": r.slug,
                            "version": rule.version,
                            **values,
                            "scheduled": [
                                {
                                    "version": v.version,
                                    "effective_from": v.effective_from.isoformat() if v.effective_from else None,
                                    "hourly_floor": v.hourly_floor,
                                }
                                for v in later
                            ],
                        }
                    )
                    rows.append(
                        [
                            c,
                            r.slug,
                            str(rule.version),
                            format_cents(rule.hourly_floor, r.currency),
                            format_cents(rule.per_task_floor, r.currency),
                            f"{rule.min_billable_minutes} / {rule.billing_increment_minutes} min",
                            f"{rule.service_fee_bps / 100:g}% + {rule.trust_fee_bps / 100:g}%",
                            f"{rule.tasker_commission_bps / 100:g}%",
                            _scheduled(later, r.currency),
                        ]
                    )
    columns = ("category", "region", "version", "hourly", "per task", "min / step", "fees", "commission", "scheduled")
    print_listing("Fee floors in force", records, columns, rows, as_csv, as_json)


def _scheduled(later: list, currency: str) -> str:
    from pricing.money import format_cents

    return (
        "; ".join(
            f"v{v.version} {format_cents(v.hourly_floor, currency)} from {v.effective_from:%Y-%m-%d %H:%M}"
            for v in later
        )
        or "—"
    )


@floors.command("set")
@click.argument("category")
@click.argument("region")
@click.argument("values", nargs=-1, required=True, metavar="FIELD=VALUE...")
@click.option("--reason", required=True, help="Why: kept in the audit history.")
@click.option("--effective-from", help="ISO 8601 time with a zone; default now.")
@click.option("--author", default="cli", show_default=True)
@click.option(
    "--confirm", is_flag=True, help=f"Apply a change beyond {SANITY_FACTOR}x (or under a third of) the current floor."
)
@click.option("--summary", default="", help="The public line for this change (written from the change if omitted).")
def set_command(category, region, values, reason, effective_from, author, confirm, summary):
    """Create a new version, e.g. `floors set yard-work nyc hourly_floor=2600 --reason "..."`."""
    from marketplace.bootstrap import bootstrap
    from marketplace.floors.versions import FloorChange, change_sentence, set_floor
    from pricing import FloorRuleError

    when = None
    if effective_from:
        try:
            when = datetime.fromisoformat(effective_from)
        except ValueError:
            _refuse([f"--effective-from {effective_from!r} is not an ISO 8601 time"])
    platform = bootstrap()
    with platform.uow() as uow:
        try:
            change = FloorChange(category, region, reason, _values(values), when, confirm, summary)
            row = set_floor(uow, change, None, author)
        except FloorRuleError as exc:
            _refuse(_field_errors(exc))
        uow.commit()
        said = change_sentence(uow.session, row)
    click.echo(said)


@floors.command()
@click.option("--category")
@click.option("--region")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@listing_options
def history(category, region, limit, as_csv, as_json):
    """Who changed what, when and why."""
    from marketplace.bootstrap import bootstrap
    from marketplace.floors.history import floor_history

    platform = bootstrap()
    with platform.uow() as uow:
        entries = floor_history(uow.session, category, region, limit)
    rows = []
    for e in entries:
        changes = ", ".join(f"{k} {v['old']}→{v['new']}" for k, v in e["changes"].items())
        rows.append(
            [
                f"{e['created_at']:%Y-%m-%d %H:%M}",
                f"{e['category']}/{e['region']}",
                str(e["version"]),
                e["author"],
                e["reason"],
                changes,
                f"{e['effective_from']:%Y-%m-%d %H:%M}",
            ]
        )
    records = [{**e, "changes": json.dumps(e["changes"])} if as_csv else e for e in entries]
    columns = ("when", "key", "v", "who", "why", "changes", "in force from")
    print_listing("Floor history (newest first)", records, columns, rows, as_csv, as_json)


@floors.command()
@click.argument("values", nargs=-1, required=True, metavar="FIELD=VALUE...")
@click.option("--category", help="Only this category (default: all).")
@click.option("--region", help="Only this region (default: all).")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@listing_options
def simulate(values, category, region, days, as_csv, as_json):
    """What-if: replay the last DAYS of postings under the proposed values, old against new."""
    from rich.progress import Progress
    from sqlmodel import func, select

    from marketplace.bootstrap import bootstrap
    from marketplace.market.simulation import ProposedFloor, simulate_proposals
    from marketplace.tasks.models import Task
    from pricing import FloorRuleError
    from pricing.money import format_cents

    platform = bootstrap()
    with platform.uow() as uow:
        total = uow.session.exec(select(func.count()).select_from(Task)).one()
        with Progress(console=err()) as progress:
            bar = progress.add_task("replaying postings", total=total)
            try:
                result = simulate_proposals(
                    uow.session,
                    [ProposedFloor(_values(values), category, region)],
                    days,
                    progress=lambda: progress.advance(bar),
                )
            except FloorRuleError as exc:
                _refuse(_field_errors(exc))
    rows = result.rows()
    records = [
        {
            "category": r.category,
            "postings": r.postings,
            "affected": r.affected,
            "client_delta_avg": r.client_delta_avg,
            "client_delta_total": r.client_delta_total,
            "payout_delta_avg": r.payout_delta_avg,
        }
        for r in rows
    ]
    shown = [
        [
            r.category,
            str(r.postings),
            str(r.affected),
            format_cents(r.client_delta_avg),
            format_cents(r.client_delta_total),
            format_cents(r.payout_delta_avg),
        ]
        for r in rows
    ]
    columns = ("category", "postings", "affected", "avg client Δ", "total client Δ", "avg payout Δ")
    title = f"Simulated over {result.postings} postings of the last {days} days"
    print_listing(title, records, columns, shown, as_csv, as_json)


@floors.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--reason", help="For rows with no reason column.")
@click.option("--author", default="cli import", show_default=True)
@click.option(
    "--confirm", is_flag=True, help=f"Apply changes beyond {SANITY_FACTOR}x (or under a third of) the current floors."
)
def import_command(path, reason, author, confirm):
    """Apply a CSV (as `export` writes it), all rows or none. Rows that change nothing make no version."""
    from rich.progress import Progress

    from marketplace.bootstrap import bootstrap
    from marketplace.floors.csv_files import CsvImportError, import_floors, parse_floor_csv

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        _refuse([f"{path} is not UTF-8 text; save the CSV as UTF-8"])
    platform = bootstrap()
    try:
        changes = parse_floor_csv(text, reason, confirm)
        with platform.uow() as uow, Progress(console=err()) as progress:
            bar = progress.add_task("importing floors", total=len(changes))
            created, unchanged = import_floors(uow, changes, None, author, progress=lambda: progress.advance(bar))
            uow.commit()
    except CsvImportError as exc:
        _refuse(exc.errors + ["nothing was imported"])
    out().print(f"imported {len(created)} floor versions ({unchanged} rows unchanged)")


@floors.command()
def export():
    """The rules in force now, as CSV on standard output."""
    from marketplace.bootstrap import bootstrap
    from marketplace.floors.csv_files import export_csv

    platform = bootstrap()
    with platform.uow() as uow:
        click.echo(export_csv(uow.session), nl=False)
