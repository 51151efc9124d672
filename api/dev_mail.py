"""`/dev/mail`, only under `floorboard dev`: the mail the local SMTP server received, newest first,
so a newcomer sees what would have gone out and can follow its links. Registered only when the app is given a mailbox
(DEV_MAILBOX); a served app has no such page."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

bp = Blueprint("dev_mail", __name__, url_prefix="/dev")

# A web address in a letter's text, up to the space, quote or angle bracket after it; a full stop
# or comma that ends a sentence is not part of it.
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


@bp.app_template_filter("linked")
def linked(text: str) -> Markup:
    """A letter's plain text for the page, each web address in it a link (as a mail reader shows
    it), so the reader can follow a notice from here as from their inbox. Every piece is escaped, so a
    letter's text can never become markup."""
    parts, last = [], 0
    for match in _URL.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(match.group(0)))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@bp.get("/mail")
def mail():
    mailbox = current_app.config["DEV_MAILBOX"]
    return render_template("dev_mail.html", mails=list(reversed(mailbox.received())), user=None)


def init_app(app) -> None:
    if app.config.get("DEV_MAILBOX") is not None:
        app.register_blueprint(bp)
