"""`/dev/mail`, only under `floorboard dev`: the mail the local SMTP server received, newest first,
so a newcomer sees what would have gone out. Registered only when the app is given a mailbox
(DEV_MAILBOX); a served app has no such page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("dev_mail", __name__, url_prefix="/dev")


@bp.get("/mail")
def mail():
    mailbox = current_app.config["DEV_MAILBOX"]
    return render_template("dev_mail.html", mails=list(reversed(mailbox.received())), user=None)


def init_app(app) -> None:
    if app.config.get("DEV_MAILBOX") is not None:
        app.register_blueprint(bp)
