"""`floorboard payments reconcile`: the ledger against Stripe's own objects, with a progress bar.

The command imports the domain when it runs, so its `--help` answers without loading the database
layer or Stripe."""

from __future__ import annotations

import sys

import click

from cli.output import err, listing_options, out, print_listing


@click.group()
def payments():
    """Payments: check the ledger against Stripe."""


@payments.command("reconcile")
@listing_options
def payments_reconcile(as_csv, as_json):
    """Compare every task's ledger with its PaymentIntent and transfer at Stripe; exit 1 on any difference."""
    from rich.progress import Progress
    from sqlmodel import func, select

    from marketplace.bootstrap import bootstrap
    from marketplace.payments.models import Payment
    from marketplace.payments.reconcile import reconcile

    platform = bootstrap()
    try:
        if platform.gateway.name != "stripe":
            raise click.ClickException(
                "no Stripe account is configured (set STRIPE_SECRET_KEY); there is nothing to reconcile against"
            )
        with platform.uow() as uow:
            total = uow.session.exec(select(func.count()).select_from(Payment)).one()
        with Progress(console=err()) as progress:
            bar = progress.add_task("reconciling", total=total)
            differences = reconcile(platform.uow, platform.gateway, progress=lambda: progress.advance(bar))
    finally:
        platform.close()
    if not differences and not (as_csv or as_json):
        out().print("ledger and Stripe agree: no differences")
        return
    records = [{"task_id": d.task_id, "what": d.what, "ledger": d.ledger, "stripe": d.stripe} for d in differences]
    rows = [[str(d.task_id), d.what, d.ledger, d.stripe] for d in differences]
    print_listing(
        f"{len(differences)} difference(s)", records, ("task", "what", "ledger", "stripe"), rows, as_csv, as_json
    )
    if differences:
        sys.exit(1)
