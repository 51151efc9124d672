"""`floorboard payments reconcile`: the ledger against Stripe's own objects, with a progress bar."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlmodel import func, select

from marketplace.bootstrap import bootstrap
from marketplace.payments.models import Payment
from marketplace.payments.reconcile import reconcile

console = Console()


@click.group()
def payments():
    """Payments: check the ledger against Stripe."""


@payments.command("reconcile")
def payments_reconcile():
    """Compare every task's ledger with its PaymentIntent and transfer at Stripe; exit 1 on any difference."""
    platform = bootstrap()
    try:
        if platform.gateway.name != "stripe":
            raise click.ClickException(
                "no Stripe account is configured (set STRIPE_SECRET_KEY); there is nothing to reconcile against"
            )
        with platform.uow() as uow, Progress(console=console) as progress:
            total = uow.session.exec(select(func.count()).select_from(Payment)).one()
            bar = progress.add_task("reconciling", total=total)
            differences = reconcile(uow.session, platform.gateway, progress=lambda: progress.advance(bar))
    finally:
        platform.close()
    if not differences:
        console.print("ledger and Stripe agree: no differences")
        return
    table = Table(title=f"{len(differences)} difference(s)")
    for column in ("task", "what", "ledger", "stripe"):
        table.add_column(column)
    for d in differences:
        table.add_row(str(d.task_id), d.what, d.ledger, d.stripe)
    console.print(table)
    sys.exit(1)
