"""`floorboard close-account EMAIL`: support closes an account for someone who asked (by email or
letter, having no way to sign in), with the same refusals and the same effects as the page and the
API (marketplace/privacy/closure.py, docs/privacy.md). `--check` only says whether it can be."""

from __future__ import annotations

import click


@click.command("close-account")
@click.argument("email")
@click.option("--check", is_flag=True, help="Only say whether the account can be closed now, and why not.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def close_account(email, check, yes):
    """Close the account with this email: personal data goes, records the law needs stay anonymised."""
    from sqlmodel import col, select

    from marketplace.accounts.models import User
    from marketplace.accounts.users import normalize_email
    from marketplace.bootstrap import bootstrap
    from marketplace.errors import DomainError
    from marketplace.privacy.closure import close_account_by_operator, refusals

    platform = bootstrap()
    try:
        with platform.uow() as uow:
            user = uow.session.exec(select(User).where(col(User.email) == normalize_email(email))).first()
            if user is None:
                raise click.ClickException(f"no account has the email {email}")
            reasons = refusals(uow.session, user)
            if reasons:
                raise click.ClickException("it cannot be closed yet:\n  - " + "\n  - ".join(reasons))
            if check:
                click.echo(f"{user.role} {user.id} can be closed")
                return
            if not yes:
                click.confirm(f"Close the {user.role} account {user.id} ({email}) for good?", abort=True)
            try:
                closed = close_account_by_operator(uow, user)
            except DomainError as exc:
                raise click.ClickException(exc.message) from None
            uow.commit()
            click.echo(
                f"closed {closed.role} {closed.user_id}; payment records kept until {closed.keep_until:%Y-%m-%d} (UTC)"
            )
    finally:
        platform.close()
