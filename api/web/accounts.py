"""The front door: the home page sends each role where it works, and signing up."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy.exc import IntegrityError

from api.limits import signup_limit
from api.platform import unit_of_work
from api.web.forms import SignupForm
from api.web.sign_in import web_user
from api.web.site import bp, render_page
from marketplace.accounts.models import Role
from marketplace.accounts.users import normalize_email, sign_up
from marketplace.errors import DomainError


@bp.get("/")
def home():
    user = web_user()
    if user is None:
        return render_page("web/home.html")
    target = {Role.client: "web.my_tasks", Role.tasker: "web.me", Role.operator: "console.floors"}[Role(user.role)]
    return redirect(url_for(target))


@bp.route("/signup", methods=["GET", "POST"])
@signup_limit
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as unit:
                sign_up(unit.session, form.email.data, form.password.data, form.role.data, form.display_name.data or "")
                unit.commit()
        except DomainError as exc:
            for name, messages in exc.errors.items():
                getattr(form, name).errors = list(getattr(form, name).errors) + messages
        except IntegrityError:
            pass  # two signups for one new email at once: the first made the account; same answer
        if not any(f.errors for f in form):
            # The same answer whether or not the email already had an account: signup must not tell.
            flash("Thanks for signing up. Sign in with your email and password to continue.")
            return redirect(url_for("web_auth.login", email=normalize_email(form.email.data)))
    return render_page("web/signup.html", 422 if request.method == "POST" else 200, form=form)
