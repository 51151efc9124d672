"""`floorboard users create-operator EMAIL`: operators are never created through the web (they set up
two-factor sign-in at their first sign-in); `floorboard users reset-two-factor EMAIL` for someone who
lost their phone and their recovery codes.

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
    click.echo(ENROL.format(url=platform.settings.public_url))


ENROL = (
    "Operators sign in with two-factor: at the first sign-in ({url}/login) the operator is sent to\n"
    "{url}/account/two-factor to set it up with an authenticator app (a QR code, or a key to type),\n"
    "and the console, and an API token, wait until it is on. See docs/two-factor.md."
)


@users.command("reset-two-factor")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset_two_factor_command(email, yes):
    """Turn off two-factor sign-in for someone who lost their phone and their recovery codes, and end
    their sessions and API tokens. Check who is asking first: this is the way round a second factor."""
    from sqlmodel import col, select

    from marketplace.accounts.models import User
    from marketplace.accounts.two_factor import is_enrolled, required_for, reset_two_factor
    from marketplace.accounts.users import normalize_email
    from marketplace.bootstrap import bootstrap

    platform = bootstrap()
    with platform.uow() as uow:
        user = uow.session.exec(select(User).where(col(User.email) == normalize_email(email))).first()
        if user is None:
            raise click.ClickException(f"no account with the email {email}")
        if not is_enrolled(uow.session, user.id):
            raise click.ClickException(f"{user.email} has no two-factor sign-in to reset")
        if not yes:
            click.confirm(
                f"Reset two-factor sign-in of {user.email} ({user.role}) and sign them out everywhere?", abort=True
            )
        ended = reset_two_factor(uow.session, user)
        uow.commit()
    click.echo(
        f"two-factor sign-in of {user.email} is off; {ended['sessions']} session(s) and {ended['tokens']} "
        "API token(s) ended"
    )
    if required_for(user):
        click.echo(ENROL.format(url=platform.settings.public_url))
