"""The signed-in person's account on the web, whatever their role: the hub (/account) linking every
account page this site has, the sessions and API tokens they are signed in with (each one's start,
last use and client, on their own clock; ended one by one or all but this browser), and the
password change, which ends every other session and every token. Forms with CSRF; no JavaScript."""

from __future__ import annotations

from flask import flash, g, redirect, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from api.devices import account_links, request_client
from api.limits import password_limit
from api.platform import unit_of_work
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, render_page
from marketplace.accounts.sign_ins import end_everything_else, signed_in_places
from marketplace.accounts.tokens import revoke_token_id
from marketplace.accounts.web_sessions import end_web_session_by_id, web_session_of
from marketplace.clock import utcnow
from marketplace.errors import DomainError, Invalid
from marketplace.floors.zones import zone_name, zone_of
from marketplace.notifications.sign_ins import change_password
from marketplace.tasks.reader_clock import reader_region

# The hub's sections, in order: (endpoint, title, what it is for). A section shows when this site
# serves its endpoint (as base.html's links do), so a page added later appears by itself.
SECTIONS = [
    ("web.account_sessions", "Sessions and tokens", "Where you are signed in, and the apps with a token: end any."),
    ("web.account_password", "Password", "Change your password; every other session and token ends with it."),
    ("web.two_factor", "Two-factor sign-in", "A code from an app on your phone, as well as your password."),
    ("web.email_preferences", "Email preferences", "Which emails you get, at once or in a daily digest."),
    ("web.account_data", "Your data", "Download everything Floorboard holds about you."),
    ("web.close_account", "Close your account", "What goes, what the law makes us keep, and how."),
]
END_WHAT = {
    "sessions": "Signed out everywhere else: {sessions} ended.",
    "tokens": "Every API token revoked: {tokens}.",
    "all": "Signed out everywhere else ({sessions} ended) and every API token revoked ({tokens}).",
}


def counted(n: int, thing: str) -> str:
    """ "no other session", "1 session", "3 tokens"."""
    return f"no {thing}" if n == 0 else f"{n} {thing}{'' if n == 1 else 's'}"


class CsrfForm(FlaskForm):
    """The CSRF token of the page's small forms (end one, end all others)."""


class PasswordForm(FlaskForm):
    current_password = PasswordField("Your current password", validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(
        "New password (at least 10 characters)",
        validators=[DataRequired(), Length(min=10, max=200, message="Must be 10 to 200 characters long.")],
    )
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new_password", "The new passwords differ.")]
    )


def _this_session() -> str | None:
    """The public id of this browser's session."""
    sid = session.get("sid")
    if not isinstance(sid, str) or not sid:
        return None
    with unit_of_work() as unit:
        row = web_session_of(unit.session, sid)
    return row.public_id if row is not None else None


@bp.get("/account")
@web_requires()
def account():
    return render_page("web/account.html", sections=SECTIONS)


@bp.get("/account/sessions")
@web_requires()
def account_sessions():
    me = signed_in()
    with unit_of_work() as unit:
        sessions, tokens = signed_in_places(unit.session, me.id, _this_session())
        clock = reader_region(unit.session, me)
        tz = zone_of(unit.session, clock)  # UTC when there is none
    return render_page(
        "web/account_sessions.html",
        sessions=sessions,
        tokens=tokens,
        clock=clock,
        clock_name=zone_name(tz, utcnow()),
        actions=CsrfForm(),
    )


@bp.post("/account/sessions/<public_id>/end")
@web_requires()
def end_session(public_id: str):
    if not CsrfForm().validate_on_submit():
        flash("The form expired: send it again.")
        return redirect(url_for("web.account_sessions")), 303
    current = _this_session()
    with unit_of_work() as unit:  # not one of theirs (or ended already): a 404
        end_web_session_by_id(unit.session, signed_in().id, public_id[:64])
        unit.commit()
    if public_id == current:  # this browser's own: signed out
        session.clear()
        flash("Signed out.")
        return redirect(url_for("web_auth.login")), 303
    flash("Session ended: that browser is signed out.")
    return redirect(url_for("web.account_sessions")), 303


@bp.post("/account/tokens/<int:token_id>/revoke")
@web_requires()
def revoke_token(token_id: int):
    if not CsrfForm().validate_on_submit():
        flash("The form expired: send it again.")
        return redirect(url_for("web.account_sessions")), 303
    with unit_of_work() as unit:  # not one of theirs: a 404
        revoke_token_id(unit.session, signed_in(), token_id)
        unit.commit()
    flash("Token revoked: the next request with it is refused.")
    return redirect(url_for("web.account_sessions")), 303


@bp.post("/account/sessions/end-others")
@web_requires()
def end_other_sessions():
    if not CsrfForm().validate_on_submit():
        flash("The form expired: send it again.")
        return redirect(url_for("web.account_sessions")), 303
    what = request.form.get("what", "all")
    if what not in END_WHAT:
        flash("Choose what to end: the other sessions, the tokens, or both.")
        return redirect(url_for("web.account_sessions")), 303
    with unit_of_work() as unit:
        ended, revoked = end_everything_else(unit.session, signed_in().id, _this_session() or "", None, what)
        unit.commit()
    flash(END_WHAT[what].format(sessions=counted(ended, "session"), tokens=counted(revoked, "token")))
    return redirect(url_for("web.account_sessions")), 303


@bp.route("/account/password", methods=["GET", "POST"])
@web_requires()
@password_limit
def account_password():
    form = PasswordForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                with unit_of_work() as unit:
                    ended, revoked = change_password(
                        unit,
                        account_links(),
                        signed_in().id,
                        form.current_password.data,
                        form.new_password.data,
                        request_client(),
                        keep_session=_this_session() or "",
                    )
                    unit.commit()
            except Invalid as exc:
                g.wrong_password = "current_password" in exc.errors  # counts like a failed sign-in
                for name, problems in exc.errors.items():
                    getattr(form, name).errors = list(getattr(form, name).errors) + problems
            except DomainError as exc:
                flash(exc.message)
            else:
                flash(
                    f"Password changed: {counted(ended, 'other session')} ended and {counted(revoked, 'API token')} "
                    "revoked. We emailed you about it."
                )
                return redirect(url_for("web.account")), 303
        elif form.csrf_token.errors:
            flash("The form expired: send it again.")
            status = 400
    return render_page("web/account_password.html", status, form=form)
