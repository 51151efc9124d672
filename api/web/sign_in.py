"""Web sessions: sign in with a form (CSRF-protected), a signed session cookie that carries a
server-side session id (signing out deletes it, so a copied cookie dies with it), a role check,
and redirects after sign-in that never leave the site. An account with two-factor sign-in is
signed in only after a code (the second step, /login/code, is in api/web/two_factor.py); an
operator without it is sent to set it up, and the console's pages refuse them until then."""

from __future__ import annotations

import functools
import re
import time

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from api.devices import note_web_sign_in, request_client
from api.limits import login_limit
from api.platform import unit_of_work
from marketplace.accounts import two_factor
from marketplace.accounts.models import User
from marketplace.accounts.sign_in_links import link_user, use_sign_in_link
from marketplace.accounts.users import authenticate
from marketplace.accounts.web_sessions import end_web_session, start_web_session, user_for_web_session

bp = Blueprint("web_auth", __name__)


class LoginForm(FlaskForm):
    # No format check: signing in only has to match an account, and .test addresses are real here.
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def web_user() -> User | None:
    if "web_user" not in g:
        sid = session.get("sid")
        user = None
        if isinstance(sid, str) and sid:
            with unit_of_work() as unit:
                user = user_for_web_session(unit.session, sid)
        g.web_user = user
    return g.web_user


def init_app(app) -> None:
    @app.context_processor
    def _who_is_signed_in() -> dict:
        """Every page knows who is signed in, error pages included (a view's own `user` wins)."""
        try:
            return {"user": web_user()}
        except Exception:  # noqa: BLE001 - an error page must render even when the database is down
            return {"user": None}


def signed_in() -> User:
    """The signed-in user, in a view guarded by `web_requires` (which has already checked)."""
    user = web_user()
    if user is None:
        raise RuntimeError("signed_in() used in a view that web_requires does not guard")
    return user


def sign_in(user: User) -> None:
    """A fresh session (never one an attacker could have planted) for this browser."""
    with unit_of_work() as unit:
        sid = start_web_session(unit.session, user, request_client())
        note_web_sign_in(unit, user)  # a device new to the person: an email, sent after commit
        unit.commit()
    session.clear()
    session["sid"] = sid
    g.web_user = user


_SAFE_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$")


def safe_next(target: str | None, fallback: str) -> str:
    """Only a same-site path: '/tasks/3' yes; '//evil.example', '/\\evil.example', a tab or any
    other control or space character (browsers drop them, turning '/\t/evil' into '//evil'), or a
    scheme, no."""
    return target if target and len(target) <= 2000 and _SAFE_PATH.match(target) else fallback


OPERATORS_ENROL = (
    "Operators must sign in with two-factor: set it up here (a code from an authenticator app) "
    "before the console opens."
)


def has_two_factor(user: User) -> bool:
    """Whether the account has two-factor sign-in on (asked once a request)."""
    if g.get("two_factor_of") != user.id:
        with unit_of_work() as unit:
            g.two_factor_on = two_factor.is_enrolled(unit.session, user.id)
        g.two_factor_of = user.id
    return bool(g.two_factor_on)


def web_requires(*roles: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = web_user()
            if user is None:
                return redirect(url_for("web_auth.login", next=request.path))
            if roles and user.role not in roles:
                abort(403, description=f"This page is for the {' or '.join(roles)} role.")
            if "operator" in roles and not has_two_factor(user):
                flash(OPERATORS_ENROL)
                return redirect(url_for("web.two_factor"))
            return view(*args, **kwargs)

        return wrapped

    return decorate


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if request.method == "GET" and isinstance(request.args.get("email"), str):
        form.email.data = request.args["email"][:254]
    if form.validate_on_submit():
        with unit_of_work() as unit:
            user = authenticate(unit.session, form.email.data, form.password.data)
            unit.commit()
        if user is None:
            form.password.errors.append("Wrong email or password.")
        else:
            return _first_factor_passed(user, request.args.get("next"))
    return render_template("login.html", form=form), 400 if request.method == "POST" else 200


def _first_factor_passed(user: User, next_page: str | None):
    """The password (or a sign-in link) was right: sign in, or, with two-factor on, ask for a code
    first (api/web/two_factor.py); an operator without two-factor is sent to set it up."""
    if has_two_factor(user):
        session.clear()  # the browser is not signed in until a code is
        session["two_factor"] = {"user": user.id, "at": int(time.time())}
        return redirect(url_for("web_auth.login_code", next=next_page))
    sign_in(user)
    if two_factor.required_for(user):
        flash(OPERATORS_ENROL)
        return redirect(url_for("web.two_factor"))
    home = url_for("console.floors") if user.role == "operator" else "/"
    return redirect(safe_next(next_page, home))


_LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class LinkForm(FlaskForm):
    """Only the CSRF token: the link is used by a button, never by opening it (mail scanners open links)."""


@bp.route("/login/link/<token>", methods=["GET", "POST"])
@login_limit
def sign_in_link(token: str):
    """A sign-in link from the signup email: opening it asks first, the button signs in (once)."""
    form = LinkForm()
    with unit_of_work() as unit:
        user = link_user(unit.session, token) if _LINK_TOKEN.match(token) else None
        if user is not None and form.validate_on_submit():
            user = use_sign_in_link(unit.session, token)
            unit.commit()
            if user is not None:
                return _first_factor_passed(user, None)
    if user is None:
        return render_template("web/sign_in_link.html", form=None), 410
    return render_template("web/sign_in_link.html", form=form, email=user.email), 200


@bp.post("/logout")
def logout():
    sid = session.get("sid")
    if isinstance(sid, str) and sid:
        with unit_of_work() as unit:
            end_web_session(unit.session, sid)
            unit.commit()
    session.clear()
    flash("Signed out.")
    return redirect(url_for("web_auth.login"))
