"""Closing an account (issue 34): every signed-in person may ask whether theirs can be closed and
close their own, never anyone else's (there is no id in the path to name one). In the shared
world the client and the tasker have tasks going on, so theirs are refused (409, with the
reasons); the other client and the other tasker have none, so theirs close; an operator's
account is not closed here (409). A wrong password is refused for everyone, with its field named."""

from __future__ import annotations

PERSONAS = ["anonymous", "client", "other_client", "tasker", "other_tasker", "operator"]  # the matrices' order
LOGIN, REFUSED = "login", "refused"  # test_web_authz_matrix's words


def codes(*each) -> dict:
    return dict(zip(PERSONAS, each, strict=True))


PASSWORD = {"password": "correct horse battery"}
WRONG = {"password": "a wrong guess"}

API = [
    ("GET", "/api/v1/me/close", None, codes(401, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/me/close", PASSWORD, codes(401, 409, 200, 409, 200, 409)),
    ("POST", "/api/v1/me/close", WRONG, codes(401, 422, 422, 422, 422, 422)),
]

WEB = [
    ("GET", "/account/close", None, codes(LOGIN, 200, 200, 200, 200, 200)),
    # Closed: signed out, and sent to the sign-in page.
    ("POST", "/account/close", PASSWORD, codes(LOGIN, REFUSED, LOGIN, REFUSED, LOGIN, REFUSED)),
    ("POST", "/account/close", WRONG, codes(LOGIN, *[REFUSED] * 5)),
]
