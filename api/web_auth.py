"""Web sessions: sign in with a form (CSRF-protected), a signed session cookie, and a role check."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from api.limits import login_limit
from api.platform import uow
from marketplace.accounts import authenticate
from marketplace.models import User

bp = Blueprint("web_auth", __name__)


class LoginForm(FlaskForm):
    # No format check: signing in only has to match an account, and .test addresses are real here.
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def web_user() -> User | None:
    if "web_user" not in g:
        user_id = session.get("user_id")
        with uow() as unit:
            user = unit.session.get(User, user_id) if user_id else None
        g.web_user = user if user is not None and user.is_active else None
    return g.web_user


def web_requires(*roles: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = web_user()
            if user is None:
                return redirect(url_for("web_auth.login", next=request.path))
            if roles and user.role not in roles:
                abort(403, description=f"This page is for the {' or '.join(roles)} role.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        with uow() as unit:
            user = authenticate(unit.session, form.email.data, form.password.data)
            unit.commit()
        if user is None:
            form.password.errors.append("Wrong email or password.")
        else:
            session.clear()
            session["user_id"] = user.id
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):  # never redirect off-site
                target = url_for("console.floors") if user.role == "operator" else "/"
            return redirect(target)
    return render_template("login.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
def logout():
    session.clear()
    flash("Signed out.")
    return redirect(url_for("web_auth.login"))
