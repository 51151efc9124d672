"""Where you are signed in, for every role: GET /api/v1/me/sessions lists your signed-in browsers
and live API tokens (created, last used, client; the one this request carries marked current),
DELETE /api/v1/me/sessions/{session_id} signs one browser out, POST /api/v1/me/sessions/end-others
ends every other session and token, and POST /api/v1/me/password changes the password (after the
current one), which ends every web session and every token but the one calling. A token is
revoked by its id at DELETE /api/v1/auth/tokens/{token_id} (api/rest/accounts.py). Revocation is
seen by every process at once: each request checks its token in the database."""

from __future__ import annotations

import re

from flask import g
from flask.views import MethodView

from api.auth import SECURITY, requires
from api.devices import account_links, request_client
from api.errors import refuse
from api.input import Blueprint
from api.limits import password_limit
from api.platform import unit_of_work
from api.rest.account_sessions_schemas import (
    EXAMPLES,
    EndedSchema,
    EndOthersSchema,
    PasswordChangeSchema,
    SignedInSchema,
)
from marketplace.accounts.sign_ins import end_everything_else, signed_in_places
from marketplace.accounts.web_sessions import end_web_session_by_id
from marketplace.errors import Invalid
from marketplace.notifications.sign_ins import change_password

blp = Blueprint("account_sessions", __name__, url_prefix="/api/v1/me", description="Your sessions, tokens and password")

_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


@blp.route("/sessions")
class SignedIn(MethodView):
    @requires()
    @blp.response(200, SignedInSchema)
    @blp.doc(security=SECURITY)
    def get(self):
        """Your signed-in browsers and live API tokens: when each began, when it was last used (to
        the minute) and its client; the token this request carries is marked `current`. Never a
        cookie, a token or a hash"""
        with unit_of_work() as unit:
            sessions, tokens = signed_in_places(unit.session, g.user.id, None, g.token_id)
        return {"sessions": sessions, "tokens": tokens}


@blp.route("/sessions/<session_id>")
class OneSession(MethodView):
    @requires()
    @blp.response(204)
    @blp.alt_response(404, description="No such session of yours")
    @blp.doc(security=SECURITY)
    def delete(self, session_id: str):
        """Sign one of your browsers out, by the session's `id` from GET /api/v1/me/sessions"""
        if not _PUBLIC_ID.match(session_id):
            refuse(404, "No such session of yours: it may have ended already.")
        with unit_of_work() as unit:
            end_web_session_by_id(unit.session, g.user.id, session_id)
            unit.commit()


@blp.route("/sessions/end-others")
class EndOthers(MethodView):
    @requires()
    @blp.arguments(EndOthersSchema, example=EXAMPLES[EndOthersSchema])
    @blp.response(200, EndedSchema)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """End every signed-in browser and revoke every API token but the one this request carries
        (`what`: all, sessions or tokens). Each is refused at once, by every server"""
        with unit_of_work() as unit:
            ended, revoked = end_everything_else(unit.session, g.user.id, None, g.token_id, data["what"])
            unit.commit()
        message = f"{_count(ended, 'session')} ended, {_count(revoked, 'token')} revoked."
        return {"sessions_ended": ended, "tokens_revoked": revoked, "message": message}


@blp.route("/password")
class Password(MethodView):
    @requires()
    @blp.arguments(PasswordChangeSchema, example=EXAMPLES[PasswordChangeSchema])
    @blp.response(200, EndedSchema)
    @blp.alt_response(422, description="The current password is wrong, or the new one is refused (field errors)")
    @blp.alt_response(429, description="Too many wrong current passwords")
    @blp.doc(security=SECURITY)
    @password_limit
    def post(self, data):
        """Change your password: give the current one and the new one. Every signed-in browser
        and every API token but the one this request carries ends with it, and you get an email
        saying the password changed"""
        try:
            with unit_of_work() as unit:
                ended, revoked = change_password(
                    unit,
                    account_links(),
                    g.user.id,
                    data["current_password"],
                    data["new_password"],
                    request_client(),
                    keep_token=g.token_id,
                )
                unit.commit()
        except Invalid as exc:
            g.wrong_password = "current_password" in exc.errors  # counts like a failed sign-in
            raise
        message = f"Password changed: {_count(ended, 'session')} ended, {_count(revoked, 'other token')} revoked."
        return {"sessions_ended": ended, "tokens_revoked": revoked, "message": message}
