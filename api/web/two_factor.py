"""Two-factor sign-in on the web: the second step of signing in (/login/code), and the account's
page (/account/two-factor) to set it up (a QR code and the secret as text, then a first code),
get new recovery codes, or turn it off (password and a code; never for operators). Recovery codes
are shown once, on the answer to the form that made them, and never stored in the session.

Wrong codes draw on one counter per account (RATELIMIT_TWO_FACTOR, as many as RATELIMIT_LOGIN by
default), on every form here: a guesser who knows the password gets as few tries as one without."""

from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from api.limits import limiter
from api.platform import unit_of_work
from api.web.sign_in import bp as auth_bp
from api.web.sign_in import safe_next, sign_in, signed_in, web_requires
from api.web.site import bp, render_page
from marketplace.accounts import two_factor
from marketplace.accounts.models import User
from marketplace.errors import DomainError

PENDING_S = 300  # a password accepted this long ago still waits for its code; then sign in again


def _code_field(label: str = "Code") -> StringField:
    return StringField(
        label,
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"},
    )


class CodeForm(FlaskForm):
    code = _code_field("6-digit code from your app, or a recovery code")


class StartForm(FlaskForm):
    pass


class ConfirmForm(FlaskForm):
    code = _code_field("6-digit code from your app")


class TurnOffForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=200)])
    code = _code_field("6-digit code from your app, or a recovery code")


def _attempts_key() -> str:
    """Wrong codes count per account: the one waiting for its code, or the one signed in."""
    pending = session.get("two_factor")
    user = g.get("web_user")
    if isinstance(pending, dict) and isinstance(pending.get("user"), int):
        who = str(pending["user"])
    elif user is not None:
        who = str(user.id)
    else:
        who = get_remote_address()
    return f"{current_app.config['RATELIMIT_SCOPE']}:two-factor:{who}"


code_limit = limiter.shared_limit(
    lambda: current_app.config.get("RATELIMIT_TWO_FACTOR") or current_app.config["RATELIMIT_LOGIN"],
    scope="two-factor-code",
    key_func=_attempts_key,
    deduct_when=lambda r: r.status_code in (400, 401, 422),
)


# -- signing in: the second step ------------------------------------------------------------------


def _pending_user() -> User | None:
    pending = session.get("two_factor")
    if not (isinstance(pending, dict) and isinstance(pending.get("user"), int) and isinstance(pending.get("at"), int)):
        return None
    if time.time() - pending["at"] > PENDING_S:
        return None
    with unit_of_work() as unit:
        user = unit.session.get(User, pending["user"])
    return user if user is not None and user.is_active else None


@auth_bp.route("/login/code", methods=["GET", "POST"])
@code_limit
def login_code():
    """After a right password: a code from the authenticator app, or a recovery code (once)."""
    user = _pending_user()
    if user is None:
        session.pop("two_factor", None)
        flash("Sign in with your email and password first (a sign-in waits 5 minutes for its code).")
        return redirect(url_for("web_auth.login", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        with unit_of_work() as unit:
            kind = two_factor.check_code(unit.session, user, form.code.data)
            left = two_factor.recovery_codes_left(unit.session, user.id)
            unit.commit()
        if kind is None:
            form.code.errors = [two_factor.WRONG_CODE]
        else:
            sign_in(user)  # a fresh session: the pending state goes with the old one
            if kind == "recovery":
                flash(
                    f"Signed in with a recovery code; it will not work again. {left} left: "
                    "make new ones on your two-factor page if you are running low."
                )
            home = url_for("console.floors") if user.role == "operator" else "/"
            return redirect(safe_next(request.args.get("next"), home))
    status = 400 if request.method == "POST" else 200
    return render_page("web/login_code.html", status, form=form)


# -- the account's page --------------------------------------------------------------------------


def _page(
    status: int = 200,
    *,
    confirm: ConfirmForm | None = None,
    regenerate: CodeForm | None = None,
    turn_off: TurnOffForm | None = None,
    **extra,
):
    user = signed_in()
    with unit_of_work() as unit:
        state = two_factor.status(unit.session, user)
        pending = two_factor.pending_enrolment(unit.session, user) if state["pending"] else None
    return render_page(
        "web/two_factor.html",
        status,
        state=state,
        pending=pending,
        qr=Markup(two_factor.qr_svg(pending)) if pending else None,  # segno's own SVG markup
        start_form=StartForm(),
        confirm_form=confirm or ConfirmForm(formdata=None),
        regenerate_form=regenerate or CodeForm(formdata=None),
        turn_off_form=turn_off or TurnOffForm(formdata=None),
        **extra,
    )


def _field_errors(form: FlaskForm, exc: DomainError) -> None:
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + list(messages)
    if not exc.errors:
        flash(exc.message)


@bp.get("/account/two-factor", endpoint="two_factor")  # the endpoint other pages link to
@web_requires()
def two_factor_page():
    return _page()


@bp.post("/account/two-factor/start")
@web_requires()
def two_factor_start():
    if not StartForm().validate_on_submit():
        return _page(400)
    try:
        with unit_of_work() as unit:
            two_factor.start_enrolment(unit.session, signed_in())
            unit.commit()
    except DomainError as exc:
        flash(exc.message)
    return redirect(url_for("web.two_factor"))


@bp.post("/account/two-factor/confirm")
@web_requires()
@code_limit
def two_factor_confirm():
    form = ConfirmForm()
    user = signed_in()
    if not form.validate_on_submit():
        return _page(400, confirm=form)
    try:
        with unit_of_work() as unit:
            codes = two_factor.confirm_enrolment(unit.session, user, form.code.data)
            unit.commit()
    except DomainError as exc:
        _field_errors(form, exc)
        return _page(400, confirm=form)
    return _page(recovery_codes=codes, just_enrolled=True)


@bp.post("/account/two-factor/recovery-codes")
@web_requires()
@code_limit
def two_factor_recovery_codes():
    form = CodeForm()
    if not form.validate_on_submit():
        return _page(400, regenerate=form)
    try:
        with unit_of_work() as unit:
            codes = two_factor.regenerate_recovery_codes(unit.session, signed_in(), form.code.data)
            unit.commit()
    except DomainError as exc:
        _field_errors(form, exc)
        return _page(400, regenerate=form)
    return _page(recovery_codes=codes)


@bp.post("/account/two-factor/off")
@web_requires()
@code_limit
def two_factor_off():
    form = TurnOffForm()
    user = signed_in()
    if two_factor.required_for(user):
        flash("Operators must keep two-factor sign-in on.")
        return _page(403)
    if not form.validate_on_submit():
        return _page(400, turn_off=form)
    try:
        with unit_of_work() as unit:
            two_factor.turn_off(unit.session, user, form.password.data, form.code.data)
            unit.commit()
    except DomainError as exc:
        _field_errors(form, exc)
        return _page(400, turn_off=form)
    flash("Two-factor sign-in is off. Your password alone signs you in again.")
    return redirect(url_for("web.two_factor"))
