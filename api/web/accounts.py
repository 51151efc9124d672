"""The front door: the home page sends each role where it works, and signing up."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from api.devices import account_links
from api.limits import signup_limit
from api.platform import unit_of_work
from api.web.forms import SignupForm
from api.web.sign_in import web_user
from api.web.site import bp, render_page
from marketplace.accounts.models import Role, User
from marketplace.accounts.sign_in_links import LINK_TTL, issue_sign_in_link
from marketplace.accounts.users import normalize_email, sign_up
from marketplace.errors import DomainError
from marketplace.notifications.kinds.account_security import mail_sign_in_link


@bp.get("/")
def home():
    user = web_user()
    if user is None:
        return render_page("web/home.html")
    target = {Role.client: "web.my_tasks", Role.tasker: "web.me", Role.operator: "console.floors"}[Role(user.role)]
    return redirect(url_for(target))


LINK_MINUTES = int(LINK_TTL.total_seconds() // 60)


def _send_sign_in_link(unit, new: User | None) -> None:
    """The signup's email, written in its transaction: a new account's welcome with its link, or,
    for an email that already had an account, a letter saying so with a link for its owner."""
    if new is not None:
        user, fresh = new, True
    else:
        user, fresh = (
            unit.session.exec(select(User).where(col(User.email) == normalize_email(request.form["email"]))).first(),
            False,
        )
        if user is None or not user.is_active:
            return  # a closed account gets nothing
    token = issue_sign_in_link(unit.session, user)
    mail_sign_in_link(unit, account_links(), user, token, LINK_MINUTES, fresh)


@bp.route("/signup", methods=["GET", "POST"])
@signup_limit
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as unit:
                email = form.email.data
                new = sign_up(unit.session, email, form.password.data, form.role.data, form.display_name.data or "")
                _send_sign_in_link(unit, new)
                unit.commit()
        except DomainError as exc:
            for name, messages in exc.errors.items():
                getattr(form, name).errors = list(getattr(form, name).errors) + messages
        except IntegrityError:
            pass  # two signups for one new email at once: the first made the account; same answer
        if not any(f.errors for f in form):
            # The same answer whether or not the email already had an account: signup must not tell.
            # Either way the address gets a link that signs its owner in (a welcome, or "you already
            # have an account"), so nobody types their password twice to get in.
            flash(
                "Thanks for signing up. We emailed you a link that signs you in (it works once, for "
                f"{LINK_MINUTES} minutes). Or sign in with your email and password below."
            )
            return redirect(url_for("web_auth.login", email=normalize_email(form.email.data)))
    return render_page("web/signup.html", 422 if request.method == "POST" else 200, form=form)
