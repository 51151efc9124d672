"""One-click unsubscribe (RFC 8058): the link in an email, signed for one user and one kind, works
with no sign-in. GET shows what it would switch off and a button; POST (the button, or the mail
client's List-Unsubscribe-Post) switches it off. The signed token is the authority, so the POST
carries no CSRF token: a forged one could only switch off mail for the token's own user and kind."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from api.platform import platform, unit_of_work
from marketplace.errors import NotFound
from marketplace.notifications.prefs import KINDS, MONEY_KINDS, read_token, unsubscribe

bp = Blueprint("unsubscribe", __name__)


def _secret() -> str:
    return platform().settings.secret_key or ""


@bp.get("/unsubscribe/<token>")
def confirm(token: str):
    try:
        _, kind = read_token(_secret(), token)
    except NotFound as exc:
        abort(404, description=exc.message)
    return render_template("unsubscribe.html", kind=KINDS[kind], locked=kind in MONEY_KINDS, done=False, user=None)


@bp.post("/unsubscribe/<token>")
def one_click(token: str):
    try:
        with unit_of_work() as unit:
            _, label = unsubscribe(unit, _secret(), token)
            unit.commit()
    except NotFound as exc:
        abort(404, description=exc.message)
    kind = read_token(_secret(), token)[1]
    return render_template("unsubscribe.html", kind=label, locked=kind in MONEY_KINDS, done=True, user=None)
