"""Bearer-token authentication and role checks for the JSON API.

`@requires("client")` answers 401 to a caller with no valid token and 403 to one whose role is
not allowed. Ownership is checked by each view, against the user this sets on `g.user`.
"""

from __future__ import annotations

import functools

from flask import g, request
from flask_smorest import abort

from api.platform import platform
from marketplace.accounts.models import User
from marketplace.accounts.tokens import TOKENS


def bearer_user() -> User | None:
    if "user" in g:
        return g.user
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user, g.token_id = None, None
    if scheme.lower() == "bearer" and token.strip():
        engine = platform().engine
        found = TOKENS.check(engine, token.strip())
        if found is not None:
            g.token_id, user = found  # the token's id: "this one" in lists of tokens
    g.user = user
    return user


def requires(*roles: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = bearer_user()
            if user is None:
                abort(401, message="Sign in: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token.")
            elif roles and user.role not in roles:
                abort(403, message=f"This needs the {' or '.join(roles)} role; you are a {user.role}.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
