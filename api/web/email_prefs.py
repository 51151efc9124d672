"""The signed-in person's email preferences on the web: per kind their role may get, instant, a
daily digest, or off, each with its default (account and money mail is shown, locked on; "a task
in your feed" is off until turned on, with its daily cap). The same rules as
`PUT /api/v1/me/notifications`."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_wtf import FlaskForm

from api.platform import platform, unit_of_work
from api.web.sign_in import signed_in, web_requires
from api.web.site import bp, render_page
from marketplace.errors import DomainError
from marketplace.notifications.prefs import KINDS, preferences, set_preferences


class PrefsForm(FlaskForm):
    """The CSRF token; the choices are one select per kind, read from the form by name."""


@bp.route("/account/notifications", methods=["GET", "POST"])
@web_requires()
def email_preferences():
    form = PrefsForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            wanted = {kind: request.form.get(f"mode-{kind}", "") for kind in KINDS if f"mode-{kind}" in request.form}
            try:
                with unit_of_work() as unit:
                    set_preferences(unit, signed_in().id, wanted)
                    unit.commit()
            except DomainError as exc:
                flash(exc.message)
                for kind, problems in exc.errors.get("preferences", {}).items():
                    flash(f"{KINDS.get(kind, kind)}: {' '.join(problems)}")
                status = 422
            else:
                flash("Saved: your email preferences.")
                return redirect(url_for("web.email_preferences")), 303
        else:
            flash("The form expired: send it again.")
            status = 400
    per_day = platform().policy.feed_emails_per_day
    with unit_of_work() as unit:
        prefs = preferences(unit.session, signed_in().id, signed_in().role, per_day)
    return render_page("web/email_prefs.html", status, form=form, prefs=prefs, per_day=per_day)
