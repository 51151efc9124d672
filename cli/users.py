"""`floorboard users create-operator EMAIL`: operators are never created through the web.

The command imports the domain when it runs, so its `--help` answers without loading the database
layer."""

from __future__ import annotations

import click


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
    from marketplace.accounts.users import create_user
    from marketplace.bootstrap import bootstrap
    from marketplace.errors import DomainError

    platform = bootstrap()
    with platform.uow() as uow:
        try:
            user = create_user(uow.session, email, password, "operator")
        except DomainError as exc:
            raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())) from None
        uow.commit()
    click.echo(f"operator {user.email} created (id {user.id})")
