"""Two-factor sign-in's rows. In the world every persona but the operator is without two-factor;
the operator has it on (operators must), so starting again is a conflict and turning it off is
forbidden. Codes here are wrong ones: a right code is the rows' business in test_two_factor.py."""

from __future__ import annotations

PERSONAS = ["anonymous", "client", "other_client", "tasker", "other_tasker", "operator"]


def codes(*answers) -> dict:
    return dict(zip(PERSONAS, answers, strict=True))


WRONG = {"code": "000000"}

API = [
    ("GET", "/api/v1/auth/two-factor", None, codes(401, 200, 200, 200, 200, 200)),
    ("POST", "/api/v1/auth/two-factor", None, codes(401, 201, 201, 201, 201, 409)),
    ("POST", "/api/v1/auth/two-factor/confirm", WRONG, codes(401, 409, 409, 409, 409, 409)),  # none started
    ("POST", "/api/v1/auth/two-factor/recovery-codes", WRONG, codes(401, 409, 409, 409, 409, 422)),
    (
        "POST",
        "/api/v1/auth/two-factor/off",
        {"password": "correct horse battery", **WRONG},
        codes(401, 409, 409, 409, 409, 403),
    ),
    # The operator's right password without a code gets no token, whoever asks.
    (
        "POST",
        "/api/v1/auth/token",
        {"email": "operator@example.test", "password": "correct horse battery"},
        codes(401, 401, 401, 401, 401, 401),
    ),
]

LOGIN, DONE, REFUSED = "login", "done", "refused"
WEB = [
    ("GET", "/account/two-factor", None, codes(LOGIN, 200, 200, 200, 200, 200)),
    (
        "POST",
        "/account/two-factor/start",
        {},
        codes(LOGIN, DONE, DONE, DONE, DONE, DONE),
    ),  # the operator: told it is on
    ("POST", "/account/two-factor/confirm", WRONG, codes(LOGIN, *[REFUSED] * 5)),
    ("POST", "/account/two-factor/recovery-codes", WRONG, codes(LOGIN, *[REFUSED] * 5)),
    (
        "POST",
        "/account/two-factor/off",
        {"password": "correct horse battery", **WRONG},
        codes(LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, 403),
    ),
    # The second step of signing in is only for a browser whose password was just right.
    ("GET", "/login/code", None, codes(*[LOGIN] * 6)),
    ("POST", "/login/code", WRONG, codes(*[LOGIN] * 6)),
]
