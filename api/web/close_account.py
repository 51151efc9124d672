"""Close your account on the web (/account/close): what goes, what the law makes us keep and for
how long (docs/privacy.md), every reason it cannot be closed yet, and the form confirming it with
the password. The same use case as POST /api/v1/me/close. A form with CSRF; no JavaScript."""

from __future__ import annotations

from flask import flash, g, redirect, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from api.platform import unit_of_work
from api.rest.account_closure import closure_limit
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, render_page
from marketplace.accounts.models import User
from marketplace.errors import Conflict, Invalid
from marketplace.privacy.closure import KEEP_FOR, refusals
from marketplace.privacy.closure import close_account as close


class CloseForm(FlaskForm):
    password = PasswordField("Your password, to confirm", validators=[DataRequired(), Length(max=200)])


def _page(form: CloseForm, status: int = 200):
    with unit_of_work() as unit:
        me = unit.session.get_one(User, signed_in().id)
        reasons = refusals(unit.session, me)
    years = KEEP_FOR.days // 365
    return render_page("web/close_account.html", status, form=form, reasons=reasons, role=me.role, years=years)


@bp.route("/account/close", methods=["GET", "POST"], endpoint="close_account")
@web_requires()
@closure_limit
def close_account_page():
    form = CloseForm()
    if not form.validate_on_submit():
        if form.is_submitted() and not form.errors.get("password"):
            flash("The form expired: send it again.")
        return _page(form, 422 if form.is_submitted() else 200)
    try:
        with unit_of_work() as unit:
            close(unit, unit.session.get_one(User, signed_in().id), form.password.data or "")
            unit.commit()
    except Invalid as exc:
        g.wrong_password = True
        form.password.errors = list(exc.errors.get("password", [exc.message]))
        return _page(form, 422)
    except Conflict as exc:
        flash(exc.message)
        return _page(form, 409)
    session.clear()
    flash("Your account is closed. Thank you for working with Floorboard.")
    return redirect(url_for("web_auth.login")), 303
