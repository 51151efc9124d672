"""`floorboard users create-operator EMAIL`: operators are never created through the web."""

from __future__ import annotations

import click

from marketplace.accounts.users import create_user
from marketplace.bootstrap import bootstrap
from marketplace.errors import DomainError


@click.group()
def users():
    """Accounts."""


@users.command("create-operator")
@click.argument("email")
@click.password_option(
    prompt="Operator password", help="Or set FLOORBOARD_OPERATOR_PASSWORD.", envvar="FLOORBOARD_OPERATOR_PASSWORD"
)
def create_operator(email, password):
    """Create an operator account."""
    platform = bootstrap()
    with platform.uow() as uow:
        try:
            user = create_user(uow.session, email, password, "operator")
        except DomainError as exc:
            raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())) from None
        uow.commit()
    click.echo(f"operator {user.email} created (id {user.id})")
