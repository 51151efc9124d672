"""Sessions, tokens and the password (issue 34): every signed-in person lists and ends their own
sessions and tokens and changes their own password; a session ({web_session}: one of the client's)
or a token ({token}: the client's spare one) of someone else's is a 404, as if unknown."""

from __future__ import annotations

PERSONAS = ["anonymous", "client", "other_client", "tasker", "other_tasker", "operator"]  # the matrices' order
LOGIN, DONE = "login", "done"  # test_web_authz_matrix's words


def codes(*each) -> dict:
    return dict(zip(PERSONAS, each, strict=True))


SIGNED_IN = codes(401, 200, 200, 200, 200, 200)
WEB_SIGNED_IN = codes(LOGIN, 200, 200, 200, 200, 200)

NEW_PASSWORD = "a lantern by the harbour"
PASSWORD_CHANGE = {"current_password": "correct horse battery", "new_password": NEW_PASSWORD}

API = [
    ("GET", "/api/v1/me/sessions", None, SIGNED_IN),
    ("DELETE", "/api/v1/me/sessions/{web_session}", None, codes(401, 204, 404, 404, 404, 404)),
    ("POST", "/api/v1/me/sessions/end-others", {"what": "all"}, SIGNED_IN),
    ("POST", "/api/v1/me/password", PASSWORD_CHANGE, SIGNED_IN),
    # A wrong current password: refused for everyone, with its field named.
    (
        "POST",
        "/api/v1/me/password",
        {**PASSWORD_CHANGE, "current_password": "a wrong guess"},
        codes(401, 422, 422, 422, 422, 422),
    ),
]

WEB = [
    ("GET", "/account", None, WEB_SIGNED_IN),
    ("GET", "/account/sessions", None, WEB_SIGNED_IN),
    ("POST", "/account/sessions/{web_session}/end", {}, codes(LOGIN, DONE, 404, 404, 404, 404)),
    ("POST", "/account/tokens/{token}/revoke", {}, codes(LOGIN, DONE, 404, 404, 404, 404)),
    ("POST", "/account/sessions/end-others", {"what": "all"}, codes(LOGIN, *[DONE] * 5)),
    ("GET", "/account/password", None, WEB_SIGNED_IN),
    (
        "POST",
        "/account/password",
        {**PASSWORD_CHANGE, "confirm": NEW_PASSWORD},
        codes(LOGIN, *[DONE] * 5),
    ),
    (
        "POST",
        "/account/password",
        {**PASSWORD_CHANGE, "current_password": "a wrong guess", "confirm": NEW_PASSWORD},
        codes(LOGIN, *["refused"] * 5),
    ),
]
